"""STATE output against the work: bytes by mailboxes and by days, coalesced vs every window.

Run by hand (numbers go in the closing note and docs/performance.md, never in timed tests):

    .venv/bin/python benchmarks/state_output.py [--quick]

The three default report streams, day periods, against a sandbox without limits whose
runs finish at once (this measures output, not waiting). For each case: STATE messages,
their bytes, the final state's size, and the RECORD bytes of the same run; the target
is STATE bytes <= RECORD bytes + one final state. "every window" is
``state_interval_seconds: 0`` (a STATE after every verified window, as before).
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl, SandboxSettings
from tap_emailgistics.tap import TapEmailgistics

END = date(2026, 5, 2)
UNLIMITED = {"run_seconds": 0, "instant_rows": 10**9, "requests_per_minute": 0}


@dataclass
class Output:
    label: str
    states: int
    state_bytes: int
    final_state: int
    record_bytes: int
    seconds: float

    def row(self) -> str:
        bound = self.record_bytes + self.final_state
        return (
            f"| {self.label} | {self.states} | {self.state_bytes:,} | {self.final_state:,} | "
            f"{self.record_bytes:,} | {self.state_bytes / bound:.2f} | {self.seconds:.0f} s |"
        )


def sync(config: dict[str, Any], state: dict[str, Any] | None) -> tuple[str, float]:
    tap = TapEmailgistics(config=config, state=copy.deepcopy(state))  # the tap updates it
    out, started = io.StringIO(), time.perf_counter()
    with redirect_stdout(out):
        tap.sync_all()
    return out.getvalue(), time.perf_counter() - started


def measure(label: str, text: str, seconds: float) -> tuple[Output, dict[str, Any]]:
    states = [line for line in text.splitlines() if line.startswith('{"type":"STATE"')]
    records = [line for line in text.splitlines() if line.startswith('{"type":"RECORD"')]
    output = Output(
        label,
        len(states),
        sum(len(s) + 1 for s in states),
        len(states[-1]) + 1,
        sum(len(r) + 1 for r in records),
        seconds,
    )
    return output, json.loads(states[-1])["value"]


def config(base_url: str, mailboxes: list[str], days: int, interval: float) -> dict[str, Any]:
    return {
        "api_key": FULL_KEY,
        "base_url": base_url,
        "mailbox_ids": mailboxes,
        "start_date": str(END - timedelta(days=days)),
        "end_date": str(END),
        "periods": ["day"],
        "requests_per_minute": 100_000,
        "state_interval_seconds": interval,
    }


def by_size(base_url: str, ids: list[str], cases: list[tuple[int, int]]) -> list[Output]:
    results = []
    for count, days in cases:
        for interval, how in ((60.0, "coalesced"), (0.0, "every window")):
            text, seconds = sync(config(base_url, ids[:count], days, interval), None)
            results.append(measure(f"{count} mailboxes, {days} days, {how}", text, seconds)[0])
    return results


def incremental(control: SandboxControl, base_url: str, ids: list[str]) -> list[Output]:
    settings = config(base_url, ids, 7, 60.0)
    del settings["end_date"]  # up to the API's now, as a daily job runs
    results = []
    text, seconds = sync(settings, None)
    first, state = measure(f"{len(ids)} mailboxes, first sync (7 days)", text, seconds)
    control.advance(days=1)
    for interval, how in ((60.0, "coalesced"), (0.0, "every window")):
        text, seconds = sync({**settings, "state_interval_seconds": interval}, state)
        results.append(measure(f"{len(ids)} mailboxes, +1 day, {how}", text, seconds)[0])
    return [first, *results]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller cases (a smoke run)")
    args = parser.parse_args()
    many = 10 if args.quick else 500
    mailbox_cases = [(1, 300), (10, 300), (50, 300)]
    day_cases = [(10, 30), (10, 3000)]  # (10, 300) is in mailbox_cases
    if args.quick:
        mailbox_cases, day_cases = [(1, 7), (3, 7)], []
    settings = SandboxSettings(extra_mailboxes=many, **UNLIMITED)  # type: ignore[arg-type]
    with Sandbox(settings) as sandbox:
        control = SandboxControl(sandbox.base_url)
        ids = [m["mailboxId"] for m in control.mailboxes() if m.get("active", True)]
        results = by_size(sandbox.base_url, ids, mailbox_cases + day_cases)
        results += incremental(control, sandbox.base_url, ids[:many])
    print(
        "| case | STATE messages | STATE bytes | final state | RECORD bytes "
        "| STATE / (RECORD + final) | time |"
    )
    print("|---" * 7 + "|")
    for result in results:
        print(result.row())
    coalesced = {r.label: r for r in results if "coalesced" in r.label}
    ten, fifty = (coalesced.get(f"{n} mailboxes, 300 days, coalesced") for n in (10, 50))
    worst = max(r.state_bytes / (r.record_bytes + r.final_state) for r in coalesced.values())
    scaling = f"{fifty.state_bytes / ten.state_bytes:.1f}x" if ten and fifty else "not run"
    print(
        f"summary: STATE bytes, 50 vs 10 mailboxes (300 days): {scaling}; "
        f"worst STATE / (RECORD + final state), coalesced: {worst:.2f}"
    )


if __name__ == "__main__":
    main()
