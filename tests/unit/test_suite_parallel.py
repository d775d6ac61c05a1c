"""The suite's parallel run keeps its promise: tests of one `xdist_group` share one worker."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

GROUPED = """
import os
import pytest

pytestmark = pytest.mark.xdist_group("shared")


@pytest.mark.parametrize("n", range(8))
def test_worker(n: int) -> None:
    with open(os.environ["WORKERS_SEEN"], "a", encoding="utf-8") as seen:
        seen.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


PYTEST = [
    sys.executable,
    "-m",
    "pytest",
    "-q",
    "-n",
    "3",
    "--dist",
    "loadgroup",
    "-p",
    "no:cacheprovider",
]


def test_given_a_grouped_module_when_run_on_several_workers_then_one_worker_runs_it_all(
    tmp_path: Path,
) -> None:
    # The kill lab, several accounts and README adoption build one module fixture each
    # (minutes): on two workers it would be built twice, and pipelines run twice over.
    (tmp_path / "test_grouped.py").write_text(GROUPED, encoding="utf-8")
    seen = tmp_path / "workers.txt"
    done = subprocess.run(
        [*PYTEST, str(tmp_path / "test_grouped.py")],
        cwd=tmp_path,
        env={"WORKERS_SEEN": str(seen), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    workers = seen.read_text(encoding="utf-8").split()
    assert len(workers) == 8
    assert len(set(workers)) == 1, f"the group was split over workers {sorted(set(workers))}"
