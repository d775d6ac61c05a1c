"""A whole account: wall time, requests, 429s and log lines against the API's floor.

Run by hand (numbers go in the closing note and docs/performance.md, never in timed tests):

    .venv/bin/python benchmarks/account_scale.py [--mailboxes 50] [--latency 3] [--quick]

Against the sandbox with its real limits (3 running runs, 100 requests a minute), each
report run taking L seconds, the three default report streams, day periods:

- *account*: M mailboxes, a first sync (7 days) and, with the clock a day on, the next
  (R = 3M runs each). The floor is max(ceil(R/3)*L, the minimum requests at the tap's
  pace of 90/min); the minimum requests are R POSTs + the result pages + the directory.
- *shared*: the same first sync while another client of the account keeps two runs
  going (the sandbox's neighbour, runs of 10 L, at least 30 s): its floor is R*L, one
  slot left; with a neighbour of two short runs (2 L, at least 6 s, each: 2 requests a
  run, about 40 a minute); and (not with --quick) with one of runs of L / 3, which alone
  asks more requests a minute (about 240 at L = 3 s) than the account allows;
- *back to back*: the +1 day sync started right after the first on the same account
  (the request minute the first spent is still counted): its 429s.
- *backfill*: 10 mailboxes x 300 days: report runs and requests against a tap that
  makes one run per partition (R POSTs, one read when done, the pages, the directory).
- *budget*: 30 mailboxes with ``time_budget_minutes: 0.5`` (a sync needing about 2 min),
  synced until nothing is deferred: each sync's wall time against budget + 2 L + 10 s,
  and whether the rows then equal the sandbox's truth.

INFO lines are what a person reads (the SDK's METRIC lines aside).
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import logging
import math
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from typing import Any

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl, SandboxSettings
from tap_emailgistics.errors import EmailgisticsError, SyncStoppedError
from tap_emailgistics.tap import TapEmailgistics

STREAMS = {
    "mailbox_performance": ("mailboxPerformance", None),
    "user_performance": ("mailboxUserPerformance", "userId"),
    "domain_performance": ("mailboxDomainPerformance", "domain"),
}
PACE = 90
PAGE = 500


class InfoCounter(logging.Handler):
    """Counts the INFO (and higher) lines a person would read."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("singer_sdk.metrics"):
            self.lines += 1


@dataclass
class Sync:
    seconds: float
    messages: list[dict[str, Any]]
    info_lines: int
    error: str | None

    @property
    def state(self) -> dict[str, Any]:
        return next(m["value"] for m in reversed(self.messages) if m["type"] == "STATE")


def sync(config: dict[str, Any], state: dict[str, Any] | None = None) -> Sync:
    counter, tap_logs = InfoCounter(), logging.getLogger("tap-emailgistics")
    tap_logs.addHandler(counter)  # the tap's loggers and its streams' (children)
    tap_logs.setLevel(logging.INFO)  # as the tap's command line sets it
    out, error, started = io.StringIO(), None, time.perf_counter()
    try:
        tap = TapEmailgistics(config=config, state=copy.deepcopy(state))
        with redirect_stdout(out):
            tap.sync_all()
    except EmailgisticsError as failed:
        error = str(failed)
    except SyncStoppedError as stopped:  # a failure of the whole account
        error = str(stopped.error)
    finally:
        tap_logs.removeHandler(counter)
    messages = [json.loads(line) for line in out.getvalue().splitlines() if line]
    return Sync(time.perf_counter() - started, messages, counter.lines, error)


def config_for(base_url: str, ids: list[str], start: str, **more: object) -> dict[str, Any]:
    return {
        "api_key": FULL_KEY,
        "base_url": base_url,
        "mailbox_ids": ids,
        "start_date": start,
        "periods": ["day"],
        **more,
    }


@dataclass
class Traffic:
    runs: int
    requests: int
    minimum: int
    limited: int

    @classmethod
    def of(cls, control: SandboxControl, since: int) -> Traffic:
        runs = [r for r in control.runs()["runs"] if r["key"] == "full"][since:]
        log = control.requests()
        pages = sum(max(1, math.ceil(run["rows"] / PAGE)) for run in runs)
        limited = sum(entry["status"] == 429 for entry in log)  # noqa: PLR2004
        return cls(len(runs), len(log), len(runs) + pages + 1, limited)


def row(label: str, done: Sync, traffic: Traffic, floor: float) -> str:
    return (
        f"| {label} | {traffic.runs} | {done.seconds:.0f} s | {floor:.0f} s | "
        f"{done.seconds / floor:.2f}x | {traffic.requests} | {traffic.minimum} | "
        f"{traffic.requests / traffic.minimum:.2f}x | {traffic.limited} "
        f"({traffic.limited / traffic.requests:.1%}) | {done.info_lines} | "
        f"{'ok' if done.error is None else done.error[:40]} |"
    )


def account(mailboxes: int, latency: float) -> list[str]:
    settings = SandboxSettings(run_seconds=latency, extra_mailboxes=mailboxes - 3)
    with Sandbox(settings) as sandbox:
        control = SandboxControl(sandbox.base_url)
        ids = [m["mailboxId"] for m in control.mailboxes() if m["active"]][:mailboxes]
        first = sync(config_for(sandbox.base_url, ids, "2026-04-24"))
        traffic = Traffic.of(control, 0)
        rows = [row("first sync", first, traffic, floor(traffic, latency))]
    # The same account a day later, on a fresh sandbox: its per-minute request count
    # starts afresh, as it would for a daily schedule.
    with Sandbox(settings) as sandbox:
        control = SandboxControl(sandbox.base_url)
        control.advance(days=1)
        second = sync(config_for(sandbox.base_url, ids, "2026-04-24"), first.state)
        traffic = Traffic.of(control, 0)
        rows.append(row("+1 day", second, traffic, floor(traffic, latency)))
    return rows


def floor(traffic: Traffic, latency: float) -> float:
    return max(math.ceil(traffic.runs / 3) * latency, traffic.minimum * 60 / PACE)


def shared(mailboxes: int, latency: float, neighbour_run: float, label: str) -> str:
    settings = SandboxSettings(
        run_seconds=latency,
        extra_mailboxes=mailboxes - 3,
        neighbour_runs=2,
        neighbour_run_seconds=neighbour_run,
    )
    with Sandbox(settings) as sandbox:
        control = SandboxControl(sandbox.base_url)
        ids = [m["mailboxId"] for m in control.mailboxes() if m["active"]][:mailboxes]
        done = sync(config_for(sandbox.base_url, ids, "2026-04-24"))
        traffic = Traffic.of(control, 0)
    return row(label, done, traffic, traffic.runs * latency)


def back_to_back(mailboxes: int, latency: float) -> str:
    settings = SandboxSettings(run_seconds=latency, extra_mailboxes=mailboxes - 3)
    with Sandbox(settings) as sandbox:
        control = SandboxControl(sandbox.base_url)
        ids = [m["mailboxId"] for m in control.mailboxes() if m["active"]][:mailboxes]
        config = config_for(sandbox.base_url, ids, "2026-04-24")
        first = sync(config)
        control.advance(days=1)
        control.clear_requests()
        before = len([r for r in control.runs()["runs"] if r["key"] == "full"])
        second = sync(config, first.state)
        traffic = Traffic.of(control, before)
    return row("+1 day, right after", second, traffic, floor(traffic, latency))


def backfill(mailboxes: int, latency: float) -> str:
    settings = SandboxSettings(run_seconds=latency, extra_mailboxes=max(0, mailboxes - 3))
    with Sandbox(settings) as sandbox:
        control = SandboxControl(sandbox.base_url)
        ids = [m["mailboxId"] for m in control.mailboxes() if m["active"]][:mailboxes]
        done = sync(config_for(sandbox.base_url, ids, "2025-07-05", end_date="2026-05-01"))
        traffic = Traffic.of(control, 0)
    partitions = len(ids) * len(STREAMS)
    # One run per partition, read once when done (its first page), then its other pages.
    one_each = partitions + traffic.minimum - traffic.runs
    return (
        f"| {len(ids)} x 300 days | {partitions} | {traffic.runs} | {traffic.requests} | "
        f"{one_each} | {traffic.requests / one_each:.2f}x | {traffic.limited} | "
        f"{done.seconds:.0f} s |"
    )


def budget(mailboxes: int, latency: float) -> list[str]:
    settings = SandboxSettings(run_seconds=latency, extra_mailboxes=max(0, mailboxes - 3))
    rows, state = [], None
    with Sandbox(settings) as sandbox:
        control = SandboxControl(sandbox.base_url)
        ids = [m["mailboxId"] for m in control.mailboxes() if m["active"]][:mailboxes]
        config = config_for(sandbox.base_url, ids, "2026-04-24", time_budget_minutes=0.5)
        upserted: dict[tuple[Any, ...], dict[str, Any]] = {}
        limit = 30 + 2 * latency + 10
        for number in range(1, 11):
            done = sync(config, state)
            state = done.state
            for message in done.messages:
                if message["type"] == "RECORD" and message["stream"] in STREAMS:
                    upserted[key(message["stream"], message["record"])] = message["record"]
            verified = sum(
                1
                for stream in STREAMS
                for p in state["bookmarks"].get(stream, {}).get("partitions", [])
                if p.get("provisional_from")
            )
            rows.append(
                f"| {number} | {done.seconds:.0f} s | {limit:.0f} s | "
                f"{'yes' if done.seconds <= limit else 'NO'} | "
                f"{'ok' if done.error is None else done.error[:40]} | {verified} of "
                f"{len(ids) * len(STREAMS)} |"
            )
            if verified == len(ids) * len(STREAMS) and not any_in_flight(state):
                break
        rows.append(f"| rows equal the truth | {equal_truth(control, ids, upserted)} | | | | |")
    return rows


def any_in_flight(state: dict[str, Any]) -> bool:
    return "runs_in_flight" in json.dumps(state)


def key(stream: str, row: dict[str, Any]) -> tuple[Any, ...]:
    dimension = STREAMS[stream][1]
    return (stream, row["mailboxId"], row["startDateTimeUtc"], row.get(dimension or ""))


def equal_truth(
    control: SandboxControl, ids: list[str], upserted: dict[tuple[Any, ...], dict[str, Any]]
) -> str:
    expected = {}
    for stream, (report, _) in STREAMS.items():
        for mailbox in ids:
            rows = control.truth(
                report=report,
                mailboxId=mailbox,
                period="day",
                start="2026-04-24T00:00:00",
                end="2026-05-01T23:59:59",
                fieldGroup="replyData,closeData",
            )
            for truth in rows:
                expected[key(stream, {**truth, "mailboxId": mailbox})] = truth
    same = expected.keys() == upserted.keys() and all(
        {k: upserted[pk].get(k) for k in row} == row for pk, row in expected.items()
    )
    return f"{'yes' if same else 'NO'} ({len(upserted)} rows)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=50)
    parser.add_argument("--latency", type=float, default=3.0)
    parser.add_argument("--budget-mailboxes", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    args = parser.parse_args()
    mailboxes, latency, budgeted = args.mailboxes, args.latency, args.budget_mailboxes
    backfilled = 10
    if args.quick:
        mailboxes, latency, budgeted, backfilled = 4, 0.3, 4, 2
    print(
        "| case | R | wall | floor | wall/floor | requests | minimum | requests/minimum "
        "| 429s | INFO lines | result |"
    )
    print("|---" * 11 + "|")
    # The neighbour's request rate depends on its runs' length in seconds, not on L:
    # short runs of the quick sizes' L would ask more than the account's minute.
    holding, short = max(10 * latency, 30.0), max(2 * latency, 6.0)
    results = [
        *account(mailboxes, latency),
        back_to_back(mailboxes, latency),
        shared(mailboxes, latency, holding, "first sync, 2 slots taken"),
        shared(mailboxes, latency, short, "first sync, 2 short runs alongside"),
    ]
    if not args.quick:
        # Runs of L/3: the neighbour alone asks more requests a minute than the account
        # allows, so no client of it avoids 429s; the tap gets what the neighbour leaves.
        over = shared(mailboxes, latency, latency / 3, "first sync, a neighbour over the limit")
        results.append(over)
    for line in results:
        print(line)
    print()
    print("| backfill | partitions | runs | requests | one run each | ratio | 429s | wall |")
    print("|---" * 8 + "|")
    print(backfill(backfilled, latency))
    print()
    print("| budgeted sync | wall | budget + 2L + 10 s | within | result | verified partitions |")
    print("|---" * 6 + "|")
    for line in budget(budgeted, latency):
        print(line)
    print(f"summary: {mailboxes} mailboxes, L = {latency:g} s; tables above")


if __name__ == "__main__":
    main()
