"""The README's and docs pages' marked code blocks and text, which tests run or compare verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def pages() -> list[Path]:
    """README.md and every docs/*.md: the pages a marked block or a tested text may live in."""
    return [README, *sorted(DOCS.glob("*.md"))]


def doc_text(page: str) -> str:
    """The text of ``page``, named from the repository's root: "README.md", "docs/sandbox.md"."""
    path = ROOT / page
    assert path in pages(), f"{page} is not README.md or a page of docs/"
    return path.read_text(encoding="utf-8")


def readme_block(name: str, language: str = "bash") -> str:
    """The fenced ``language`` block between ``<!-- name:start … -->`` and ``<!-- name:end -->``.

    It may live in README.md or any docs page, but only once: two blocks of one name
    would leave a test running one while readers copy the other.
    """
    marker = re.escape(name)
    texts = {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in pages()
    }
    starts = [
        page for page, text in texts.items() for _ in re.finditer(rf"<!-- {marker}:start", text)
    ]
    assert len(starts) == 1, f"{name} must be marked once in README.md and docs/: {starts}"
    match = re.search(
        rf"<!-- {marker}:start[^\n]*\n```{language}\n(.*?)```\n<!-- {marker}:end -->",
        texts[starts[0]],
        re.DOTALL,
    )
    assert match, f"{starts[0]} lost its {name} block"
    return match.group(1)
