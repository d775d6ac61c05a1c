"""The README's settings table is `tap-emailgistics --about --format=markdown`; docs text holds."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from tests.readme import pages, readme_block

ROOT = Path(__file__).parents[2]


def _settings_table(text: str) -> str:
    lines = text.splitlines()
    start = lines.index("| Setting | Required | Default | Description |")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return "\n".join(lines[start:end])


def test_given_the_about_output_when_compared_then_the_readme_table_is_identical() -> None:
    about = subprocess.run(
        [sys.executable, "-m", "tap_emailgistics", "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _settings_table(readme) == _settings_table(about), (
        "README.md's settings table drifted: paste `tap-emailgistics --about "
        "--format=markdown`'s table into it."
    )


def test_given_the_ci_script_when_read_then_it_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in readme.split("##", 1)[0]
    assert "\nbash scripts/test.sh\n" in ci


def test_given_the_docs_when_they_name_sandbox_endpoints_then_the_sandbox_serves_each() -> None:
    from emailgistics_sandbox.control.endpoints import _ROUTES  # noqa: PLC0415 - routes

    # Every page, not only the sandbox's: an endpoint named anywhere must exist.
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages())
    named = set(re.findall(r"`(GET|PUT|POST|PATCH|DELETE) (/_sandbox/[a-z/]+)", text))
    assert ("GET", "/_sandbox/requests") in named
    assert ("PUT", "/_sandbox/faults") in named
    assert named <= set(_ROUTES)


def blocks_the_tests_read() -> set[tuple[str, str]]:
    """Every ``readme_block(name, language)`` call with literal arguments under tests/."""
    calls = set()
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "readme_block"
            ):
                args = [a.value for a in node.args if isinstance(a, ast.Constant)]
                if args and len(args) == len(node.args):  # not the loop below
                    calls.add((str(args[0]), str(args[1]) if len(args) > 1 else "bash"))
    return calls


def test_given_the_blocks_the_tests_read_when_looked_up_then_each_is_marked_once() -> None:
    # The e2e tests that run these blocks are slow; this finds a lost or doubled one at once.
    blocks = blocks_the_tests_read()
    assert {name for name, _ in blocks} >= {"demo", "adopt", "watching", "sandbox", "stop-tap"}
    for name, language in sorted(blocks):
        assert readme_block(name, language).strip(), name


def test_given_the_quick_loop_block_when_read_then_it_runs_the_fast_layers_without_e2e() -> None:
    assert readme_block("quick-loop").strip() == "bash scripts/quick.sh"
    script = ROOT / "scripts" / "quick.sh"
    text = script.read_text(encoding="utf-8")
    assert script.stat().st_mode & 0o111, "scripts/quick.sh is not executable"
    assert '-m "not e2e and not slow"' in text
    assert "tests/unit tests/sandbox tests/integration" in text
    declared = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"slow: ' in declared
    assert '"e2e: ' in declared
