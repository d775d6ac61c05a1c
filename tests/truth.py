"""Ground truth from the sandbox, keyed by the tap's primary keys (shared by test layers)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emailgistics_sandbox import SandboxControl

#: The default report streams: sandbox report name and the dimension in the primary key.
REPORT_STREAMS: dict[str, tuple[str, str | None]] = {
    "mailbox_performance": ("mailboxPerformance", None),
    "user_performance": ("mailboxUserPerformance", "userId"),
    "domain_performance": ("mailboxDomainPerformance", "domain"),
}

MESSAGES = "received_message_detail"
ACTIVITIES = ("received", "replied", "closed")


def primary_key(row: dict[str, Any], dimension: str | None) -> tuple[Any, ...]:
    """``mailboxId``, ``period``, ``startDateTimeUtc`` and the report's dimension."""
    return (
        row["mailboxId"],
        row["period"],
        row["startDateTimeUtc"],
        row.get(dimension) if dimension else None,
    )


def truth_by_key(
    control: SandboxControl,
    stream: str,
    mailbox_ids: list[str],
    start: str,
    last_second: str,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Expected daily rows of ``stream`` for ``[start, last_second]``, by primary key."""
    report, dimension = REPORT_STREAMS[stream]
    expected = {}
    for mailbox_id in mailbox_ids:
        for row in control.truth(
            report=report,
            mailboxId=mailbox_id,
            period="day",
            start=f"{start}T00:00:00",
            end=last_second,
            fieldGroup="replyData,closeData",
        ):
            full = {**row, "mailboxId": mailbox_id, "period": "day"}
            expected[primary_key(full, dimension)] = full
    return expected


def active_mailbox_ids(control: SandboxControl) -> list[str]:
    """Mailboxes the tap extracts by default."""
    return [m["mailboxId"] for m in control.mailboxes() if m["active"]]


def message_truth(
    control: SandboxControl, ids: list[str], start: str, end: str | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every message with an activity from ``start`` to ``end`` (a date, exclusive; both
    mailbox-local), as the API shows it now, by ``mailboxId`` and ``messageId``."""
    rows = {}
    # activityEnd is inclusive: the last second before ``end``.
    last = (date.fromisoformat(end) - timedelta(days=1)).isoformat() if end else None
    until = {"activityEnd": f"{last}T23:59:59"} if last else {}
    for mailbox in ids:
        for activity in ACTIVITIES:
            for row in control.truth(
                report="receivedMessageDetail",
                mailboxId=mailbox,
                activityType=activity,
                activityStart=f"{start}T00:00:00",
                **until,
            ):
                rows[mailbox, row["messageId"]] = row
    return rows


def assert_equal_truth(rows: dict[tuple[str, str], dict[str, Any]], want: dict[Any, Any]) -> None:
    assert rows.keys() == want.keys()
    for key, expected in want.items():
        got = {column: rows[key].get(column) for column in expected}
        # A snooze that ended without a reply or close is no activity: the row keeps
        # the status it had (the README says what this report does not see).
        if got["status"] == "snoozed" and expected["status"] == "open":
            got["status"] = "open"
        assert got == expected, key
