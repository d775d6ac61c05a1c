"""The aggregate reports: their definitions and the aggregation of events into rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from emailgistics_sandbox.truth.periods import Bucket, buckets, containing_period_end

if TYPE_CHECKING:
    from emailgistics_sandbox.truth.data import Event, Mailbox

Row = dict[str, Any]

_REPLY_COUNTS = ("received", "initiated", "initialReplies", "additionalReplies")
_MAILBOX_REPLY = (
    *_REPLY_COUNTS,
    "averageMailboxInitialReplyTime",
    "averageElapsedInitialReplyTime",
    "insideReplySla",
    "replyConversations",
    "newConversations",
    "existingConversations",
)
_CLOSE_COUNTS = ("closedArchived", "closedDeleted", "closedJunk", "closedSentItems")
_MAILBOX_CLOSE = (
    "received",
    *_CLOSE_COUNTS,
    "averageMailboxCloseTime",
    "averageElapsedCloseTime",
    "insideClosedSla",
)
_USER_REPLY = (
    "received",
    "assigned",
    "reassigned",
    "initiated",
    "initialReplies",
    "additionalReplies",
    "averageUserInitialReplyTime",
    "averageMailboxInitialReplyTime",
    "averageElapsedInitialReplyTime",
    "insideReplySla",
)
_USER_CLOSE = (
    "received",
    *_CLOSE_COUNTS,
    "averageUserCloseTime",
    "averageMailboxCloseTime",
    "averageElapsedCloseTime",
    "insideClosedSla",
)
UNKNOWN_USER = "unknown"


@dataclass(frozen=True)
class ReportSpec:
    """What one report endpoint offers."""

    groups: dict[str, tuple[str, ...]]
    dimension: str | None  # userId, domain, or None for mailbox-wide rows
    supports_details: bool
    total_until_last_page: bool  # total stays null until the last page is read

    @property
    def default_group(self) -> str:
        """The group used when the request names none."""
        return next(iter(self.groups))


REPORTS: dict[str, ReportSpec] = {
    "mailboxPerformance": ReportSpec(
        {"replyData": _MAILBOX_REPLY, "closeData": _MAILBOX_CLOSE},
        None,
        supports_details=False,
        total_until_last_page=False,
    ),
    "mailboxUserPerformance": ReportSpec(
        {"replyData": _USER_REPLY, "closeData": _USER_CLOSE},
        "userId",
        supports_details=True,
        total_until_last_page=True,
    ),
    "mailboxDomainPerformance": ReportSpec(
        {"replyData": _MAILBOX_REPLY, "closeData": _MAILBOX_CLOSE},
        "domain",
        supports_details=False,
        total_until_last_page=False,
    ),
}


@dataclass(frozen=True)
class ReportQuery:
    """A validated report request."""

    report: str
    mailbox: Mailbox
    period: str
    start: datetime  # naive local
    end: datetime  # naive local, inclusive (period containing it is the last)
    groups: tuple[str, ...]
    users: tuple[str, ...] | None = None
    domains: tuple[str, ...] | None = None
    include_details: bool = False
    sparse: bool = False  # mailbox/user reports skip buckets without activity
    ambiguous_end: str = "last"  # how an `end` inside a repeated hour is read


@dataclass(frozen=True)
class ReportResult:
    """Rows (without cursor ids) and the finality facts of one report run."""

    rows: list[Row]
    buckets: list[Bucket]  # the bucket of each row, same order
    cutoff_utc: datetime | None

    def cutoff_local(self, zone_name: str) -> str | None:
        """``dataCutoffTimestamp`` in the documented format (trailing ``.0``)."""
        return local_cutoff(self.cutoff_utc, zone_name)


def local_cutoff(cutoff_utc: datetime | None, zone_name: str) -> str | None:
    """A UTC cutoff as ``dataCutoffTimestamp``: mailbox-local wall clock, trailing ``.0``."""
    if cutoff_utc is None:
        return None
    local = cutoff_utc.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + ".0"


def run_report(query: ReportQuery, visible_until: datetime) -> ReportResult:
    """Aggregate the query's rows with activity visible up to ``visible_until`` (UTC).

    The result carries a cutoff when the period containing ``end`` (read literally,
    as the documentation's monthly example shows) is still open.
    """
    spec = REPORTS[query.report]
    periods = buckets(query.mailbox.zone, query.period, query.start, query.end)
    columns = _columns(spec, query.groups)
    rows: list[Row] = []
    row_buckets: list[Bucket] = []
    for bucket in periods:
        end = min(bucket.utc_end, visible_until)
        events = query.mailbox.events_between(bucket.utc_start, end)
        for key, metrics in _keyed_metrics(spec, query, events, bucket):
            row = _row(bucket, key, metrics, columns, query)
            rows.append(row)
            row_buckets.append(bucket)
    zone = query.mailbox.zone
    end = containing_period_end(zone, query.period, query.end, ambiguous=query.ambiguous_end)
    still_open = end > visible_until
    return ReportResult(rows, row_buckets, visible_until if still_open else None)


def _columns(spec: ReportSpec, groups: tuple[str, ...]) -> list[str]:
    # A column in two groups appears once; `received` is always present.
    ordered: list[str] = ["received"]
    for group in groups:
        ordered.extend(c for c in spec.groups[group] if c not in ordered)
    return ordered


def _keyed_metrics(
    spec: ReportSpec, query: ReportQuery, events: list[Event], bucket: Bucket
) -> list[tuple[str | None, Row]]:
    if spec.dimension is None:
        return [] if query.sparse and not events else [(None, _metrics(events, bucket))]
    if spec.dimension == "userId":
        by_user: dict[str, list[Event]] = defaultdict(list)
        for event in events:
            by_user[_event_user(event)].append(event)
        wanted = query.users or (
            *[u.user_id for u in query.mailbox.users],
            UNKNOWN_USER,
        )
        known = {u.user_id for u in query.mailbox.users} | {UNKNOWN_USER}
        if query.sparse:
            known &= set(by_user)
        return [(u, _metrics(by_user[u], bucket)) for u in wanted if u in known]
    by_domain: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_domain[event.message.domain].append(event)
    wanted = query.domains or tuple(sorted(by_domain))
    return [(d, _metrics(by_domain[d], bucket)) for d in wanted]


def _event_user(event: Event) -> str:
    owner = event.user_id or event.message.user_id
    return owner or UNKNOWN_USER


def _row(
    bucket: Bucket, key: str | None, metrics: Row, columns: list[str], query: ReportQuery
) -> Row:
    spec = REPORTS[query.report]
    row: Row = {"startDateTime": bucket.local_start.strftime("%Y-%m-%dT%H:%M:%S")}
    if spec.dimension is not None:
        row[spec.dimension] = key
    if query.include_details and spec.supports_details:
        user = next((u for u in query.mailbox.users if u.user_id == key), None)
        row["userName"] = user.name if user else None
        row["userEmail"] = user.email if user else None
        row["userActive"] = user.active if user else None
    for column in columns:
        value = metrics[column]
        # Like the documentation's hourly example, hourly rows omit empty metrics.
        if value is None and query.period == "hour":
            continue
        row[column] = value
    return row


def _average(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _metrics(events: list[Event], bucket: Bucket) -> Row:
    kinds: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        kinds[event.kind].append(event)
    replies = kinds["initialReply"]
    closes = kinds["closed"]
    replied_messages = {id(e.message) for e in replies + kinds["additionalReply"]}
    started = kinds["received"] + kinds["initiated"]
    active_messages = {id(e.message): e.message for e in events}
    metrics: Row = {
        "received": len(kinds["received"]),
        "initiated": len(kinds["initiated"]),
        "assigned": len(kinds["assigned"]),
        "reassigned": len(kinds["reassigned"]),
        "initialReplies": len(replies),
        "additionalReplies": len(kinds["additionalReply"]),
        "insideReplySla": sum(e.message.reply_in_sla for e in replies),
        "replyConversations": len(replied_messages),
        "newConversations": sum(e.message.conversation_start == e.at for e in started),
        "existingConversations": sum(
            m.conversation_start < bucket.utc_start for m in active_messages.values()
        ),
        "insideClosedSla": sum(e.message.close_in_sla for e in closes),
    }
    for kind, column in zip(
        ("archived", "deleted", "junk", "sentItems"),
        ("closedArchived", "closedDeleted", "closedJunk", "closedSentItems"),
        strict=True,
    ):
        metrics[column] = sum(e.message.close_kind == kind for e in closes)
    metrics.update(_averages(replies, closes))
    return metrics


def _averages(replies: list[Event], closes: list[Event]) -> Row:
    def avg(events: list[Event], attribute: str) -> float | None:
        values = [getattr(e.message, attribute) for e in events]
        return _average([v for v in values if v is not None])

    return {
        "averageUserInitialReplyTime": avg(replies, "reply_user_minutes"),
        "averageMailboxInitialReplyTime": avg(replies, "reply_business_minutes"),
        "averageElapsedInitialReplyTime": avg(replies, "reply_elapsed_minutes"),
        "averageUserCloseTime": avg(closes, "close_user_minutes"),
        "averageMailboxCloseTime": avg(closes, "close_business_minutes"),
        "averageElapsedCloseTime": avg(closes, "close_elapsed_minutes"),
    }


def truth_rows(query: ReportQuery, visible_until: datetime) -> list[Row]:
    """Expected rows with their finality and UTC start, as a tap should deliver them."""
    result = run_report(query, visible_until)
    expected: list[Row] = []
    for row, bucket in zip(result.rows, result.buckets, strict=True):
        # The truth, whatever the cutoff reading: a bucket is final once all of it
        # is visible (the cutoff, when sent, is exactly ``visible_until``).
        final = bucket.utc_end <= visible_until
        expected.append(
            {
                **row,
                "startDateTimeUtc": bucket.utc_start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "isFinal": final,
            }
        )
    return expected
