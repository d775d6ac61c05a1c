"""The README's first command, run as a newcomer runs it: its sample is what it prints.

``bash scripts/demo.sh`` starts the sandbox and runs `meltano run tap-emailgistics
target-duckdb` twice; every line of the README's sample must be a line it printed (the
request counts aside: polls depend on the machine's timing).
"""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.readme import readme_block

from .conftest import ROOT

pytestmark = pytest.mark.e2e


def requests_aside(line: str) -> str:
    return re.sub(r"\d+ requests", "N requests", line)


def readme_sample() -> list[str]:
    sample = readme_block("demo", "text")
    return [line for line in sample.splitlines() if line.strip() != "…"]


@pytest.mark.usefixtures("meltano_installed")
def test_given_the_readmes_demo_command_when_run_then_it_prints_the_readmes_sample() -> None:
    done = subprocess.run(
        ["bash", "scripts/demo.sh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    printed = {requests_aside(line) for line in done.stdout.splitlines()}
    missing = [line for line in readme_sample() if requests_aside(line) not in printed]
    assert not missing, done.stdout[-4000:]
