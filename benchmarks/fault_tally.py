"""Tally, from the sandbox's own log, what each fault costs: requests, POSTs, 429s, orphans.

Run by hand: ``.venv/bin/python benchmarks/fault_tally.py``. For every fault the tap syncs
the three default report streams (3 mailboxes, 12 days, day periods) against a fresh
sandbox with its real limits, and the table shows the exit, whether the rows equal the
ground truth, the requests the sandbox saw, POSTs, 429s it sent, and orphan runs (runs
queued behind a failed POST answer and never read).
"""

from __future__ import annotations

import io
import json
import time
from contextlib import redirect_stdout
from typing import Any

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl, SandboxSettings
from tap_emailgistics.errors import EmailgisticsError, SyncStoppedError
from tap_emailgistics.tap import TapEmailgistics

STREAMS = {
    "mailbox_performance": ("mailboxPerformance", None),
    "user_performance": ("mailboxUserPerformance", "userId"),
    "domain_performance": ("mailboxDomainPerformance", "domain"),
}
FAULTS: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {
    "none": ([], {}),
    "queue_then_fail (POST 502 after queuing, x3)": (
        [{"kind": "queue_then_fail", "status": 502, "times": 3}],
        {},
    ),
    "http_error 503 on 10% of requests": ([{"kind": "http_error", "probability": 0.1}], {}),
    "connection_reset on 10%": ([{"kind": "connection_reset", "probability": 0.1}], {}),
    "truncated_json on 10%": ([{"kind": "truncated_json", "probability": 0.1}], {}),
    "rate_limit_burst with Retry-After": (
        [{"kind": "rate_limit_burst", "burst": 2, "times": 1, "seconds": 1}],
        {},
    ),
    "rate_limit_burst without Retry-After": (
        [{"kind": "rate_limit_burst", "burst": 2, "times": 1}],
        {"retryAfterHeader": False},
    ),
    "run_error x2": ([{"kind": "run_error", "times": 2}], {}),
    "expire_mid_paging x1": ([{"kind": "expire_mid_paging", "times": 1, "after_pages": 1}], {}),
}


def run_case(faults: list[dict[str, Any]], switches: dict[str, Any]) -> dict[str, Any]:
    settings = SandboxSettings(run_seconds=0.2, fault_seed=3)
    with Sandbox(settings) as sandbox:
        control = SandboxControl(sandbox.base_url)
        control.update_settings(**switches)
        control.set_faults(faults)
        config = {
            "api_key": FULL_KEY,
            "base_url": sandbox.base_url,
            "start_date": "2026-04-20",
            "end_date": "2026-05-02",
            "page_size": 50,
            "poll_initial_seconds": 0.1,
            "poll_max_seconds": 0.5,
            "rate_limit_wait_seconds": 2,
        }
        out, error, started = io.StringIO(), "", time.monotonic()
        try:
            with redirect_stdout(out):
                TapEmailgistics(config=config).sync_all()
        except EmailgisticsError as raised:
            error = str(raised)[:60]
        except SyncStoppedError as stopped:  # a failure of the whole account
            error = str(stopped.error)[:60]
        seconds = time.monotonic() - started
        control.set_faults([])
        log = control.requests()
        return {
            "exit": error or "ok",
            "rows = truth": matches_truth(control, out.getvalue()) if not error else "-",
            "seconds": round(seconds, 1),
            "requests": len(log),
            "POSTs": sum(r["method"] == "POST" for r in log),
            "429s": sum(r["status"] == 429 for r in log),  # noqa: PLR2004
            "orphans": control.runs()["orphans"],
        }


def matches_truth(control: SandboxControl, output: str) -> bool:
    messages = [json.loads(line) for line in output.splitlines() if line]
    mailboxes = [m["mailboxId"] for m in control.mailboxes() if m["active"]]
    for stream, (report, dimension) in STREAMS.items():
        loaded = {
            (
                m["record"]["mailboxId"],
                m["record"]["startDateTimeUtc"],
                m["record"].get(dimension or ""),
            )
            for m in messages
            if m["type"] == "RECORD" and m["stream"] == stream
        }
        expected = {
            (mailbox, row["startDateTimeUtc"], row.get(dimension or ""))
            for mailbox in mailboxes
            for row in control.truth(
                report=report,
                mailboxId=mailbox,
                period="day",
                start="2026-04-20T00:00:00",
                end="2026-05-01T23:59:59",
            )
        }
        if loaded != expected:
            return False
    return True


def main() -> None:
    rows = {name: run_case(*case) for name, case in FAULTS.items()}
    columns = list(next(iter(rows.values())))
    print("| fault | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(str(row[c]) for c in columns) + " |")
    orphans = sum(row["orphans"] for row in rows.values())
    tapped = sum(row["429s"] for name, row in rows.items() if "rate_limit" not in name)
    print(
        f"\n{orphans} orphan runs and {tapped} 429s outside the injected bursts, "
        f"over {len(rows)} cases."
    )


if __name__ == "__main__":
    main()
