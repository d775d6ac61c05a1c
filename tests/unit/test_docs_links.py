"""README.md and docs/*.md hold together: every relative link resolves; the README stays short."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.readme import README, ROOT, pages

if TYPE_CHECKING:
    from pathlib import Path

MAX_README_LINES = 300
_FENCE = re.compile(r"^```.*?^```[^\n]*$", re.DOTALL | re.MULTILINE)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.MULTILINE)


def prose(text: str) -> str:
    """``text`` without fenced blocks: a ``#`` comment or a ``[x](y)`` in code is neither."""
    return _FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation but hyphens gone, spaces hyphens."""
    text = heading.strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading anchor of a page; a repeated heading gets ``-1``, ``-2``… as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(prose(text)):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(text: str) -> list[str]:
    """The targets of a page's links that stay in this repository (no scheme, no mail)."""
    found = _LINK.findall(_CODE_SPAN.sub("", prose(text)))
    return [t for t in found if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def broken(path: Path, text: str) -> list[str]:
    """The relative links of ``text`` (the page at ``path``) that lead to no file or heading."""
    wrong = []
    for target in relative_links(text):
        file, _, anchor = target.partition("#")
        goal = (path.parent / file).resolve() if file else path
        if file and (not goal.exists() or ROOT not in goal.parents):
            wrong.append(f"{target}: no such file")
        elif anchor and (
            goal.suffix != ".md" or anchor not in anchors(page_text(goal, path, text))
        ):
            wrong.append(f"{target}: no heading #{anchor} in {goal.relative_to(ROOT)}")
    return wrong


def page_text(goal: Path, path: Path, text: str) -> str:
    """The text of the page a link leads to: ``text`` itself for a link within the page."""
    return text if goal == path else goal.read_text(encoding="utf-8")


def test_given_github_headings_when_slugged_then_the_anchors_are_githubs() -> None:
    assert slug("Stopping, killing and overlapping runs under Meltano") == (
        "stopping-killing-and-overlapping-runs-under-meltano"
    )
    assert slug("Clearing one stream's state") == "clearing-one-streams-state"
    assert slug("Using it against the real API") == "using-it-against-the-real-api"
    assert slug("`received_message_detail` rows") == "received_message_detail-rows"


def test_given_the_docs_when_links_are_followed_then_every_target_exists() -> None:
    texts = {page: page.read_text(encoding="utf-8") for page in pages()}
    wrong = {p.relative_to(ROOT).as_posix(): broken(p, text) for p, text in texts.items()}
    assert not {page: links for page, links in wrong.items() if links}, wrong
    assert sum(len(relative_links(text)) for text in texts.values()) > 20  # links were found


def test_given_a_link_to_a_missing_file_or_heading_when_checked_then_it_is_reported() -> None:
    page = ROOT / "docs" / "new-page.md"  # never written: the check reads only the text
    text = (
        "# New page\n\n## Its `section`, too\n\n"
        "[a](operating.md#exit-codes) [b](operating.md#no-such-heading) [c](missing.md)\n"
        "[d](#new-page) [e](#its-section-too) [f](#nope) [g](https://example.com/#x)\n"
        "`[h](in-code.md)`\n```bash\n[i](in-a-block.md)\n# not a heading\n```\n"
        "[j](#not-a-heading) [k](../README.md#settings) [l](../pyproject.toml#x)\n"
    )
    assert [w.split(":")[0] for w in broken(page, text)] == [
        "operating.md#no-such-heading",
        "missing.md",
        "#nope",
        "#not-a-heading",
        "../pyproject.toml#x",
    ]


def test_given_the_docs_pages_when_the_readme_is_read_then_it_links_every_one() -> None:
    targets = relative_links(README.read_text(encoding="utf-8"))
    linked = {(README.parent / t.partition("#")[0]).resolve() for t in targets}
    assert set(pages()[1:]) <= linked, "a docs page the README's Docs list does not name"


def test_given_the_readme_when_counted_then_it_is_at_most_300_lines() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines: move text to docs/"


def test_given_the_readme_when_opened_then_it_starts_with_the_demo_and_test_commands() -> None:
    demo = "bash scripts/demo.sh   # the main job end to end: sandbox + meltano run "
    test = "bash scripts/test.sh   # the full test suite: ruff, mypy --strict, sandbox, "
    opening = README.read_text(encoding="utf-8").splitlines()[:6]
    assert opening == [
        "# tap-emailgistics",
        "",
        "```bash",
        demo + "tap-emailgistics target-duckdb dbt-duckdb:build, twice",
        test + "unit, SDK suite, e2e",
        "```",
    ]
