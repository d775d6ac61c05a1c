"""Wall time and requests against the API's floor: runs ahead, progress-aware polls.

Run by hand (numbers go in the closing note and docs/performance.md, never in timed tests):

    .venv/bin/python benchmarks/run_ahead.py [--latencies 5 30] [--days 60]

R = 18 report runs: 3 mailboxes x (day, week) x the 3 default report streams, each
window one run. The sandbox has its real limits (3 running runs, 100 requests a
minute) and every run takes L seconds. For each L the tap runs with
``max_concurrent_runs`` 3 (the default) and 1 (one run at a time), side by side.

- wall / floor: the tap's time over ceil(R/3)*L, the least the API allows;
- requests / minimum: every request over R POSTs + the result pages + the directory;
  polls (reads of a run still running) are also shown on their own; 429s sent.
"""

from __future__ import annotations

import argparse
import io
import math
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl, SandboxSettings
from tap_emailgistics.tap import TapEmailgistics

END = date(2026, 5, 2)
TOO_MANY_REQUESTS = 429
PAGE_SIZE = 500


@dataclass
class Measured:
    latency: float
    cap: int
    runs: int
    seconds: float
    requests: int
    minimum: int
    polls: int
    limited: int

    @property
    def floor(self) -> float:
        return math.ceil(self.runs / 3) * self.latency

    def row(self) -> str:
        sequential = self.runs * self.latency
        return (
            f"| {self.latency:.0f} s | {self.cap} | {self.runs} | {self.seconds:.1f} s | "
            f"{self.floor:.0f} s | {sequential:.0f} s | {self.seconds / self.floor:.2f}x | "
            f"{self.seconds / sequential:.2f}x | {self.requests} | {self.minimum} | "
            f"{self.requests / self.minimum:.2f}x | {self.polls} | {self.limited} |"
        )


def sync(config: dict[str, Any]) -> float:
    tap = TapEmailgistics(config=config)
    started = time.perf_counter()
    with redirect_stdout(io.StringIO()):
        tap.sync_all()
    return time.perf_counter() - started


def measure(latency: float, cap: int, days: int) -> Measured:
    settings = SandboxSettings(run_seconds=latency)
    with Sandbox(settings) as sandbox:
        control = SandboxControl(sandbox.base_url)
        mailboxes = [m["mailboxId"] for m in control.mailboxes() if m.get("active", True)]
        config = {
            "api_key": FULL_KEY,
            "base_url": sandbox.base_url,
            "mailbox_ids": mailboxes[:3],
            "start_date": str(END - timedelta(days=days)),
            "end_date": str(END),
            "periods": ["day", "week"],
            "max_concurrent_runs": cap,
        }
        seconds = sync(config)
        log = control.requests()
        runs = control.runs()["runs"]
    pages = sum(max(1, math.ceil(run["rows"] / PAGE_SIZE)) for run in runs)
    reads = sum(1 for entry in log if "/results/" in entry["path"])
    return Measured(
        latency=latency,
        cap=cap,
        runs=len(runs),
        seconds=seconds,
        requests=len(log),
        minimum=len(runs) + pages + 1,
        polls=reads - pages,
        limited=sum(entry["status"] == TOO_MANY_REQUESTS for entry in log),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latencies", type=float, nargs="+", default=[5.0, 30.0])
    parser.add_argument("--days", type=int, default=60, help="days of history per run")
    parser.add_argument("--caps", type=int, nargs="+", default=[3, 1])
    args = parser.parse_args()
    results = [measure(lat, cap, args.days) for lat in args.latencies for cap in args.caps]
    print(
        "| L | runs at once | R | wall | floor ceil(R/3)L | R*L | wall/floor | wall/(R*L) "
        "| requests | minimum | requests/minimum | polls | 429s |"
    )
    print("|---" * 13 + "|")
    for result in results:
        print(result.row())
    walls = ", ".join(
        f"{r.seconds / r.floor:.2f}x the floor ({r.seconds / (r.runs * r.latency):.2f}x R*L) "
        f"at L={r.latency:.0f} s with {r.cap} at once"
        for r in results
    )
    print(
        f"summary: wall time {walls}; requests at most "
        f"{max(r.requests / r.minimum for r in results):.2f}x the minimum; "
        f"{sum(r.limited for r in results)} 429s"
    )


if __name__ == "__main__":
    main()
