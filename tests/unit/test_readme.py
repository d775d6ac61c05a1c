"""The README's settings table is `tap-emailgistics --about --format=markdown`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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


def test_given_the_readme_when_it_names_sandbox_endpoints_then_the_sandbox_serves_each() -> None:
    from emailgistics_sandbox.control import _ROUTES  # noqa: PLC0415 - the routes table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(GET|PUT|POST|PATCH|DELETE) (/_sandbox/[a-z/]+)", readme))
    assert ("GET", "/_sandbox/requests") in named
    assert ("PUT", "/_sandbox/faults") in named
    assert named <= set(_ROUTES)
