"""A sick API: how soon a sync ends, and what it extracts, when requests keep failing.

Run by hand (numbers go in the closing note and docs/performance.md, never in timed tests):

    .venv/bin/python benchmarks/sick_api.py [--mailboxes 10 50] [--latency 1] [--quick]

Against the sandbox with its real limits (3 running runs, 100 requests a minute), each
report run taking L seconds, the three default report streams, 7 days of day periods.
One request's retry budget is 8 tries over 246 s (waits of 2 s doubling to 2 min):

- *account-wide*: every result's last page answers 500: the sync must end with exit 2
  within two retry budgets (492 s), however many mailboxes;
- *one mailbox*: one mailbox of 10 whose results always answer 503: exit 3, and the
  wall within the same sync healthy + one retry budget + a minute;
- *one report*: every mailboxDomainPerformance last page answers 500: exit 3 within two
  retry budgets, the other two reports extracted.

``--quick`` (for CI) skips the waits: time moves on as the tap waits (as in the tests),
so its walls are the waits asked for, not seconds measured.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl, SandboxSettings
from tap_emailgistics.errors import EmailgisticsError, SyncStoppedError
from tap_emailgistics.tap import TapEmailgistics

sys.path.insert(0, str(Path(__file__).parents[1]))  # the tests' clock warp, for --quick
from tests.warp import Warp

RESULTS = "/api/v1/reports/results/"
RETRY_BUDGET = 246.0


@dataclass
class Outcome:
    seconds: float
    exit_code: int
    error: str
    rows: dict[str, int]
    requests: int


def sync(config: dict[str, Any], control: SandboxControl) -> Outcome:
    out, started, code, error = io.StringIO(), time.monotonic(), 0, ""
    control.clear_requests()
    try:
        with redirect_stdout(out):
            TapEmailgistics(config=config).sync_all()
    except (EmailgisticsError, SyncStoppedError) as failed:
        raised = failed.error if isinstance(failed, SyncStoppedError) else failed
        code, error = raised.exit_code, str(raised)
    rows: dict[str, int] = {}
    for line in out.getvalue().splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            rows[message["stream"]] = rows.get(message["stream"], 0) + 1
    return Outcome(time.monotonic() - started, code, error, rows, len(control.requests()))


def run(mailboxes: int, latency: float, faults: list[dict[str, Any]]) -> Outcome:
    settings = SandboxSettings(run_seconds=latency, extra_mailboxes=max(0, mailboxes - 3))
    with Sandbox(settings) as sandbox:
        control = SandboxControl(sandbox.base_url)
        ids = [m["mailboxId"] for m in control.mailboxes() if m["active"]][:mailboxes]
        control.set_faults(
            [
                {**rule, "mailbox_id": ids[rule["mailbox_id"]]} if "mailbox_id" in rule else rule
                for rule in faults
            ]
        )
        config = {
            "api_key": FULL_KEY,
            "base_url": sandbox.base_url,
            "mailbox_ids": ids,
            "start_date": "2026-04-24",
            "periods": ["day"],
        }
        return sync(config, control)


def row(case: str, mailboxes: int, done: Outcome, limit: float) -> str:
    within = "yes" if done.seconds <= limit else "NO"
    rows = ", ".join(f"{stream} {n}" for stream, n in sorted(done.rows.items())) or "none"
    said = done.error.split(":", 1)[0][:48] if done.error else "ok"
    return (
        f"| {case} | {mailboxes} | {done.seconds:.0f} s | {limit:.0f} s | {within} | "
        f"{done.exit_code} | {done.requests} | {rows} | {said} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="3 mailboxes, waits skipped")
    args = parser.parse_args()
    sizes, latency, one_of = args.mailboxes, args.latency, 10
    if args.quick:
        sizes, latency, one_of = [3], 0.2, 3
        warp = Warp()
        time.monotonic, time.sleep = warp.monotonic, warp.sleep  # type: ignore[assignment]
    last_page = {"path": RESULTS, "method": "GET", "page": "last", "status": 500}
    print("| case | mailboxes | wall | target | within | exit | requests | rows | said |")
    print("|---" * 9 + "|")
    for size in sizes:
        done = run(size, latency, [{"kind": "http_error", **last_page}])
        print(row("every last page 500", size, done, 2 * RETRY_BUDGET), flush=True)
    healthy = run(one_of, latency, [])
    print(row("healthy", one_of, healthy, healthy.seconds), flush=True)
    failing = {"kind": "http_error", "status": 503, "path": RESULTS, "mailbox_id": 1}
    done = run(one_of, latency, [failing])
    print(row("one mailbox's results 503", one_of, done, healthy.seconds + RETRY_BUDGET + 60))
    domain = {"kind": "http_error", **last_page, "report": "mailboxDomainPerformance"}
    done = run(one_of, latency, [domain])
    print(row("domain last pages 500", one_of, done, 2 * RETRY_BUDGET), flush=True)
    print(f"summary: L = {latency:g} s{', waits skipped' if args.quick else ''}; table above")


if __name__ == "__main__":
    main()
