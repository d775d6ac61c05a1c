"""The demo's dbt mart rows, before and after the day turns final, read with SQL.

``snapshot``: after run 1, save one mailbox's rows of ``analytics_marts.mart_sla_mailbox``
(built by ``dbt-duckdb:build`` in the same ``meltano run``). ``compare``: after run 2, print
that dbt's build passed in both runs, then the mailbox's days around the one that was
provisional, its week, and whether the final-only mart holds that day.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

MARTS = "analytics_marts"
MAILBOX = f"SELECT min(mailbox_id) FROM {MARTS}.mart_sla_mailbox"
ROWS = f"""
    SELECT time_grain, CAST(period_start_date AS VARCHAR), period_status, received,
           reply_sla_rate, close_sla_rate
    FROM {MARTS}.mart_sla_mailbox WHERE mailbox_id = ?
    ORDER BY time_grain, period_start_date
"""
FINAL_DAYS = f"""
    SELECT CAST(period_start_date AS VARCHAR) FROM {MARTS}.mart_sla_mailbox_final
    WHERE time_grain = 'day' AND mailbox_id = ?
"""
# dbt's summary line, as Meltano logs the transformer's output.
DBT_DONE = re.compile(r"Done\. (PASS=\d+ WARN=\d+ ERROR=\d+)")


def mart(warehouse: str) -> dict[str, Any]:
    """The first mailbox's mart rows, by "grain date", and the days its final-only form holds."""
    with duckdb.connect(warehouse, read_only=True) as db:
        found = db.execute(MAILBOX).fetchone()
        mailbox = found[0] if found else None
        rows = db.execute(ROWS, [mailbox]).fetchall()
        final_days = sorted(day for (day,) in db.execute(FINAL_DAYS, [mailbox]).fetchall())
    periods = {
        f"{grain} {start}": {"status": status, "received": received, "reply": reply, "close": close}
        for grain, start, status, received, reply, close in rows
    }
    return {"mailbox": mailbox or "-", "periods": periods, "final_days": final_days}


def dbt_summary(meltano_log: Path) -> str:
    """The last summary of dbt build in one run's log (``PASS=48 WARN=0 ERROR=0``)."""
    found = DBT_DONE.findall(meltano_log.read_text())
    return found[-1] if found else "no dbt build"


def percent(rate: float | None) -> str:
    """``40%``, or ``-`` for no rate (nothing to divide by)."""
    return "-" if rate is None else f"{rate:.0%}"


def cell(row: dict[str, Any] | None) -> str:
    """``provisional  17 received  reply SLA 58%  close SLA 71%``, or ``-`` for no row yet."""
    if row is None:
        return "-"
    return (
        f"{row['status']:<12}{row['received']:>3} received  reply SLA {percent(row['reply']):>3}"
        f"  close SLA {percent(row['close']):>3}"
    )


def shown(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The days from the last final one of run 1 on, then the weeks that hold them."""
    days = sorted(p for p in after["periods"] if p.startswith("day "))
    provisional = [p for p in days if before["periods"].get(p, {}).get("status") == "provisional"]
    first = days.index(provisional[0]) if provisional else len(days) - 1
    picked = days[max(first - 1, 0) :]
    weeks = sorted(p for p in after["periods"] if p.startswith("week "))
    return picked + [w for w in weeks if w[5:] >= _monday_of(picked[0][4:])]


def _monday_of(day: str) -> str:
    parsed = date.fromisoformat(day)
    return (parsed - timedelta(days=parsed.weekday())).isoformat()


def compare(warehouse: str, saved: Path, logs: list[Path]) -> None:
    """Print dbt's two summaries and the mailbox's rows after run 1 and after run 2."""
    before: dict[str, Any] = json.loads(saved.read_text())
    after = mart(warehouse)
    print(f"   dbt build: run 1 {dbt_summary(logs[0])}; run 2 {dbt_summary(logs[1])}")
    rows = [(p, before["periods"].get(p), after["periods"][p]) for p in shown(before, after)]
    width = max(len(cell(then)) for _, then, _ in rows) + 2
    print(f"   {'mailbox ' + after['mailbox'][:8] + '…':<19}{'after run 1':<{width}}after run 2")
    for period, then, now in rows:
        label = period.replace("week ", "week of ")
        print(f"   {label:<19}{cell(then):<{width}}{cell(now)}")
    for period, then in sorted(before["periods"].items()):
        if period.startswith("day ") and then["status"] == "provisional":
            day = period[4:]
            print(
                f"   mart_sla_mailbox_final (settled periods only) holds {day}: "
                f"{'yes' if day in before['final_days'] else 'no'} after run 1, "
                f"{'yes' if day in after['final_days'] else 'no'} after run 2"
            )


def main() -> None:
    """``snapshot`` or ``compare`` (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=["snapshot", "compare"])
    parser.add_argument("warehouse")
    parser.add_argument("saved", type=Path)
    parser.add_argument("logs", type=Path, nargs="*", help="compare: the two runs' logs")
    args = parser.parse_args()
    if args.step == "snapshot":
        args.saved.write_text(json.dumps(mart(args.warehouse)))
    else:
        compare(args.warehouse, args.saved, args.logs)


if __name__ == "__main__":
    main()
