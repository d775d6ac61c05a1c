"""The demo's before/after table, read from the DuckDB warehouse with SQL.

``snapshot``: after run 1, save each day's finality and totals (and the sandbox's
request count), then empty the sandbox's request log. ``compare``: after run 2, print
which days were provisional, which became final, that no key is duplicated, and how
many requests each run needed.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import duckdb

from emailgistics_sandbox import SandboxControl

SCHEMA = "emailgistics"
KEYS = {
    "mailbox_performance": "mailboxid, period, startdatetimeutc",
    "user_performance": "mailboxid, period, startdatetimeutc, userid",
    "domain_performance": "mailboxid, period, startdatetimeutc, domain",
}
DAYS = f"""
    SELECT substr(startdatetime, 1, 10) AS day,
           count(*) FILTER (WHERE isfinal) AS final,
           count(*) AS mailboxes,
           sum(received)::BIGINT AS received
    FROM {SCHEMA}.mailbox_performance
    WHERE period = 'day'
    GROUP BY day ORDER BY day
"""

WATERMARKS = f"""
    SELECT mailboxid, finalthroughlocal, provisionalperiods
    FROM {SCHEMA}.finality_watermarks
    WHERE stream = 'mailbox_performance' AND period = 'day'
    ORDER BY mailboxid
"""


def watermarks(warehouse: str) -> list[str]:
    """Where each mailbox's daily data is final, from the finality_watermarks table."""
    with duckdb.connect(warehouse, read_only=True) as db:
        rows = db.execute(WATERMARKS).fetchall()
    return [f"{m[:8]}… final before {f[:10]} ({n} provisional)" for m, f, n in rows]


def days(warehouse: str) -> dict[str, dict[str, int]]:
    """Per mailbox-local day: how many mailboxes' rows are final, and messages received."""
    with duckdb.connect(warehouse, read_only=True) as db:
        rows = db.execute(DAYS).fetchall()
    return {day: {"final": f, "mailboxes": n, "received": r} for day, f, n, r in rows}


def duplicates(warehouse: str) -> dict[str, int]:
    """Rows per table beyond one per primary key (an upsert leaves none)."""
    found = {}
    with duckdb.connect(warehouse, read_only=True) as db:
        for table, key in KEYS.items():
            query = f"SELECT count(*) - count(DISTINCT ({key})) FROM {SCHEMA}.{table}"
            row = db.execute(query).fetchone()
            found[table] = int(row[0]) if row else -1
    return found


def requests(control: SandboxControl) -> dict[str, Any]:
    """Requests the sandbox saw: all, report runs (POSTs), and the earliest day asked for."""
    log = control.requests()
    starts = [r["body"]["start"][:10] for r in log if r["method"] == "POST"]
    return {"requests": len(log), "runs": len(starts), "from": min(starts, default="-")}


def records(meltano_log: Path) -> int:
    """RECORD messages the tap sent in one run (Meltano's record_count metrics)."""
    counts = re.findall(r"metric_name=record_count metric_value=(\d+)", meltano_log.read_text())
    return sum(int(count) for count in counts)


def snapshot(warehouse: str, saved: Path, control: SandboxControl) -> None:
    """Save run 1's days and requests; empty the sandbox's request log for run 2."""
    saved.write_text(json.dumps({"days": days(warehouse), **requests(control)}))
    control.clear_requests()


def state_of(day: dict[str, int] | None) -> str:
    """``final``, ``provisional (2 of 3)`` or ``-`` for a day that was not there yet."""
    if day is None:
        return "-"
    if day["final"] == day["mailboxes"]:
        return "final"
    return f"provisional ({day['mailboxes'] - day['final']} of {day['mailboxes']})"


def compare(warehouse: str, saved: Path, control: SandboxControl, logs: list[Path]) -> None:
    """Print the before/after table and the checks."""
    before: dict[str, Any] = json.loads(saved.read_text())
    after, second = days(warehouse), requests(control)
    header = f"{'day (mailbox-local)':<20} {'after run 1':<21} {'after run 2':<21} received"
    print(f"   {header}")
    for day, now in after.items():
        then = before["days"].get(day)
        received = f"{then['received'] if then else '-'} -> {now['received']}"
        if day < second["from"]:  # run 2 asked for nothing before its earliest start
            received += "  (not re-read)"
        print(f"   {day:<20} {state_of(then):<21} {state_of(now):<21} {received}")
    print("   finality_watermarks (mailbox_performance, day): " + "; ".join(watermarks(warehouse)))
    dupes = duplicates(warehouse)
    print(
        "   duplicate keys: " + ", ".join(f"{count} in {table}" for table, count in dupes.items())
    )
    print(
        f"   run 1: {records(logs[0])} rows, {before['requests']} requests "
        f"({before['runs']} report runs from {before['from']}); run 2: {records(logs[1])} "
        f"rows, {second['requests']} requests ({second['runs']} report runs from "
        f"{second['from']}: only the periods that were still provisional)"
    )


def main() -> None:
    """``snapshot`` or ``compare`` (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=["snapshot", "compare"])
    parser.add_argument("warehouse")
    parser.add_argument("saved", type=Path)
    parser.add_argument("base_url")
    parser.add_argument("logs", type=Path, nargs="*", help="compare: the two runs' logs")
    args = parser.parse_args()
    control = SandboxControl(args.base_url)
    if args.step == "snapshot":
        snapshot(args.warehouse, args.saved, control)
    else:
        compare(args.warehouse, args.saved, control, args.logs)


if __name__ == "__main__":
    main()
