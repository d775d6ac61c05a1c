"""The benchmark commands of docs/performance.md keep working (small sizes; numbers unchecked).

Timing goals live in the benchmarks, run by hand; this only runs each script end to end,
as the docs print it apart from smaller arguments, and reads its table and summary.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Subprocesses that wait on real sandbox runs: the full suite's, not the quick loop's.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("script", "arguments"),
    [
        ("run_ahead.py", ["--latencies", "0.3", "--days", "3", "--caps", "3", "1"]),
        ("state_output.py", ["--quick"]),
        ("row_cost.py", ["--rows", "500", "2000"]),
        ("account_scale.py", ["--quick"]),
        ("sick_api.py", ["--quick"]),
    ],
)
def test_given_a_benchmark_when_run_small_then_it_prints_its_table_and_summary(
    script: str, arguments: list[str]
) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("| ")
    assert lines[1].startswith("|---")
    assert lines[-1].startswith("summary: ")
