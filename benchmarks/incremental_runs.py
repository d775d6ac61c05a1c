"""How much finality-aware state saves: a full sync, a rerun, a rerun a day later.

Run by hand (numbers go in the closing note, never in timed tests):

    .venv/bin/python benchmarks/incremental_runs.py [--days 300] [--run-seconds 0.2]

One sandbox, three tap runs in one process tree; ratios compare runs of the same sitting,
so the shared machine's noise mostly cancels. It also reports the busiest 60-second
window of requests (the API allows 100) and any 429 answers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl, SandboxSettings

END = date(2026, 5, 2)
TOO_MANY_REQUESTS = 429


def run_tap(config: dict[str, Any], state: dict[str, Any] | None) -> tuple[float, int, dict]:
    with tempfile.TemporaryDirectory() as folder:
        config_file = Path(folder, "config.json")
        config_file.write_text(json.dumps(config))
        command = [sys.executable, "-m", "tap_emailgistics", "--config", str(config_file)]
        if state is not None:
            Path(folder, "state.json").write_text(json.dumps(state))
            command += ["--state", str(Path(folder, "state.json"))]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - started
    messages = [json.loads(line) for line in done.stdout.splitlines()]
    rows = sum(m["type"] == "RECORD" for m in messages)
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    return elapsed, rows, states[-1]


def busiest_minute(entries: list[dict[str, Any]]) -> int:
    times = sorted(e["monotonic"] for e in entries)
    best, low = 0, 0
    for high, moment in enumerate(times):
        while times[low] <= moment - 60:
            low += 1
        best = max(best, high - low + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=300, help="days of history to extract")
    parser.add_argument("--run-seconds", type=float, default=0.2, help="sandbox run duration")
    parser.add_argument(
        "--cooldown",
        type=float,
        default=61.0,
        help="pause between runs so one run's requests do not count against "
        "the next run's minute (0 = back to back)",
    )
    args = parser.parse_args()
    with Sandbox(SandboxSettings(run_seconds=args.run_seconds)) as sandbox:
        control = SandboxControl(sandbox.base_url)
        config = {
            "api_key": FULL_KEY,
            "base_url": sandbox.base_url,
            "start_date": str(END - timedelta(days=args.days)),
            "end_date": str(END),
            "periods": ["day", "week"],
            "poll_initial_seconds": 0.1,
        }
        results = []
        state = None
        for label, advance in (("full sync", 0), ("rerun, same clock", 0), ("rerun, +1 day", 1)):
            if results:
                time.sleep(args.cooldown)
            control.advance(days=advance)
            control.clear_requests()
            elapsed, rows, state = run_tap(config, state)
            log = control.requests()
            posts = sum(e["method"] == "POST" for e in log)
            limited = sum(e["status"] == TOO_MANY_REQUESTS for e in log)
            results.append((label, elapsed, len(log), posts, rows, busiest_minute(log), limited))
    print(f"{args.days} days x 3 active mailboxes x (day, week), 6 default streams")
    print(
        f"{'run':<20}{'seconds':>9}{'requests':>10}{'POSTs':>7}{'rows':>8}"
        f"{'peak/min':>10}{'429s':>6}"
    )
    for label, elapsed, requests, posts, rows, peak, limited in results:
        print(f"{label:<20}{elapsed:>9.1f}{requests:>10}{posts:>7}{rows:>8}{peak:>10}{limited:>6}")
    full = results[0]
    for label, elapsed, requests, _, rows, _, _ in results[1:]:
        print(
            f"{label}: {requests / full[2]:.1%} of the full sync's requests, "
            f"{rows / full[4]:.1%} of its rows, {elapsed / full[1]:.1%} of its time"
        )


if __name__ == "__main__":
    main()
