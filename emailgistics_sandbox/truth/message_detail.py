"""Received Message Detail: one row per received message, built from its events.

The rows come from the same events as the aggregate reports (data.py), so the reports
agree: a message counted in a day's ``received`` of mailboxPerformance is a row of that
day's ``received`` activity here. Only received messages have rows; conversations the
mailbox initiated are not received messages.

A row shows its message as of the report's *horizon*: the end of the range, or the
visible time when that comes first. Later events do not exist for the row (no reply
yet, status as of the horizon), so a result whose range ends before the visible time
never changes, like a finalized aggregate, and one that reaches past it carries the
cutoff (mailbox-local, as the aggregates' does).

The report's definition (activities, statuses, field groups) and its validated query
live here, as the aggregate reports' do in reports.py; ``api/message_query.py`` turns a
request into that query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from emailgistics_sandbox.truth.reports import Row, local_cutoff

if TYPE_CHECKING:
    from datetime import datetime

    from emailgistics_sandbox.truth.data import Event, Mailbox, Message

MESSAGE_DETAIL = "receivedMessageDetail"
#: The events each ``activityType`` filters and sorts on.
ACTIVITIES: dict[str, frozenset[str]] = {
    "received": frozenset({"received"}),
    "replied": frozenset({"initialReply", "additionalReply"}),
    "closed": frozenset({"closed"}),
}
STATUSES = ("open", "snoozed", "closed")
#: In ``users``, selects messages without an owner (as ``users`` of the user report).
UNKNOWN_OWNER = "unknown"
_OWNING = frozenset({"assigned", "reassigned"})
#: The resolution of ``datetime``: ``at <= end`` is exactly ``at < end + _TICK``.
_TICK = timedelta(microseconds=1)
#: ``messageId`` is in every row whatever is asked; each group adds its columns.
MESSAGE_GROUPS: dict[str, tuple[str, ...]] = {
    "basic": (
        "conversationId",
        "receivedDateTime",
        "status",
        "ownerUserId",
        "senderDomain",
        "firstRepliedDateTime",
        "lastRepliedDateTime",
        "closedDateTime",
    ),
    "timing": (
        "receivedDateTime",
        "firstRepliedDateTime",
        "lastRepliedDateTime",
        "replyCount",
        "closedDateTime",
        "snoozedDateTime",
        "snoozedUntilDateTime",
        "elapsedInitialReplyTime",
        "mailboxInitialReplyTime",
        "userInitialReplyTime",
        "elapsedCloseTime",
        "mailboxCloseTime",
        "userCloseTime",
    ),
    "ownership": ("ownerUserId", "assignedDateTime", "reassignedDateTime"),
    "classification": (
        "senderDomain",
        "closeKind",
        "conversationId",
        "conversationStartDateTime",
        "newConversation",
    ),
    "sla": ("status", "insideReplySla", "insideClosedSla"),
}


@dataclass(frozen=True)
class MessageFilters:
    """The optional filters of the body; None lets everything through."""

    statuses: frozenset[str] | None = None
    users: frozenset[str] | None = None  # owner ids; "unknown" = no owner
    domains: frozenset[str] | None = None  # lower-case sender domains
    conversation_id: str | None = None


@dataclass(frozen=True)
class MessageQuery:
    """A validated Received Message Detail request."""

    mailbox: Mailbox
    activity: str  # received | replied | closed
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, inclusive
    groups: tuple[str, ...]
    include_details: bool = False
    filters: MessageFilters = field(default_factory=MessageFilters)
    report: str = MESSAGE_DETAIL


@dataclass(frozen=True)
class MessageResult:
    """Rows (without cursor ids) and the cutoff of one message detail run."""

    rows: list[Row]
    cutoff_utc: datetime | None

    def cutoff_local(self, zone_name: str) -> str | None:
        """``dataCutoffTimestamp``: mailbox-local, like the aggregate reports'."""
        return local_cutoff(self.cutoff_utc, zone_name)


@dataclass(frozen=True)
class MessageState:
    """What is known of one received message at a horizon."""

    message: Message
    received: datetime
    replies: tuple[datetime, ...]  # in time order; the first is the initial reply
    closed: datetime | None  # the latest close
    owner: str | None  # the latest assignment's user
    assigned: datetime | None  # the first assignment
    reassigned: datetime | None  # the latest reassignment
    snoozed: bool  # a snooze began before the horizon
    status: str


def run_message_detail(query: MessageQuery, visible_until: datetime) -> MessageResult:
    """The query's rows with activity visible up to ``visible_until`` (UTC), in order.

    Order: the chosen activity's time (a message's earliest such event in the range),
    then ``messageId``. The result carries a cutoff when some instant of the range is
    not visible yet.
    """
    horizon = min(query.end + _TICK, visible_until)
    columns = _columns(query.groups)
    rows = [
        _row(state, query, columns) for state in _selected(query, horizon) if _wanted(state, query)
    ]
    return MessageResult(rows, visible_until if query.end >= visible_until else None)


def conversation_id(mailbox: Mailbox, message: Message) -> str:
    """A stable id of the message's conversation (its start and sender domain)."""
    name = f"conversation:{message.conversation_start.isoformat()}|{message.domain}"
    return str(uuid.uuid5(uuid.UUID(mailbox.mailbox_id), name))


def _columns(groups: tuple[str, ...]) -> list[str]:
    # A column in two groups appears once; `messageId` is always present.
    ordered = ["messageId"]
    for group in groups:
        ordered.extend(c for c in MESSAGE_GROUPS[group] if c not in ordered)
    return ordered


def _selected(query: MessageQuery, horizon: datetime) -> list[MessageState]:
    # One row per message, placed by its earliest chosen activity inside the range.
    kinds = ACTIVITIES[query.activity]
    first_at: dict[str, datetime] = {}
    for event in query.mailbox.events_between(query.start, horizon):
        if event.kind in kinds:
            first_at.setdefault(event.message.message_id, event.at)
    ordered = sorted(first_at.items(), key=lambda item: (item[1], item[0]))
    states = (message_state(query.mailbox.timeline(m), horizon) for m, _ in ordered)
    return [state for state in states if state is not None]


def message_state(timeline: list[Event], horizon: datetime) -> MessageState | None:
    """The message of ``timeline`` as known before ``horizon``; None if not received."""
    known = [event for event in timeline if event.at < horizon]
    received = next((e.at for e in known if e.kind == "received"), None)
    if received is None:
        return None
    message = known[0].message
    closes = [e.at for e in known if e.kind == "closed"]
    owning = [e for e in known if e.kind in _OWNING]
    reassigned = [e.at for e in owning if e.kind == "reassigned"]
    snooze = message.snoozed_at is not None and message.snoozed_at < horizon
    return MessageState(
        message=message,
        received=received,
        replies=tuple(e.at for e in known if e.kind in ACTIVITIES["replied"]),
        closed=closes[-1] if closes else None,
        owner=owning[-1].user_id if owning else None,
        assigned=owning[0].at if owning else None,
        reassigned=reassigned[-1] if reassigned else None,
        snoozed=snooze,
        status=_status(message, horizon, closed=bool(closes)),
    )


def _status(message: Message, horizon: datetime, *, closed: bool) -> str:
    # A close ends a snooze; a snooze ends by itself at its `until`.
    if closed:
        return "closed"
    start, until = message.snoozed_at, message.snoozed_until
    if start is not None and until is not None and start < horizon <= until:
        return "snoozed"
    return "open"


def _wanted(state: MessageState, query: MessageQuery) -> bool:
    wanted = query.filters
    message = state.message
    return (
        (wanted.statuses is None or state.status in wanted.statuses)
        and (wanted.users is None or (state.owner or UNKNOWN_OWNER) in wanted.users)
        and (wanted.domains is None or message.domain in wanted.domains)
        and (
            wanted.conversation_id is None
            or conversation_id(query.mailbox, message) == wanted.conversation_id
        )
    )


def _row(state: MessageState, query: MessageQuery, columns: list[str]) -> Row:
    values = {**_times(state), **_facts(state, query.mailbox)}
    row: Row = {}
    for column in columns:
        row[column] = values[column]
        if column == "ownerUserId" and query.include_details:
            row.update(_owner_details(query.mailbox, state.owner))
    return row


def _times(state: MessageState) -> Row:
    message = state.message
    snoozed = state.snoozed
    return {
        "receivedDateTime": _utc(state.received),
        "firstRepliedDateTime": _utc(state.replies[0] if state.replies else None),
        "lastRepliedDateTime": _utc(state.replies[-1] if state.replies else None),
        "closedDateTime": _utc(state.closed),
        "snoozedDateTime": _utc(message.snoozed_at if snoozed else None),
        "snoozedUntilDateTime": _utc(message.snoozed_until if snoozed else None),
        "assignedDateTime": _utc(state.assigned),
        "reassignedDateTime": _utc(state.reassigned),
        "conversationStartDateTime": _utc(message.conversation_start),
    }


def _facts(state: MessageState, mailbox: Mailbox) -> Row:
    message = state.message
    replied, closed = bool(state.replies), state.closed is not None
    return {
        "messageId": message.message_id,
        "conversationId": conversation_id(mailbox, message),
        "status": state.status,
        "ownerUserId": state.owner,
        "senderDomain": message.domain,
        "replyCount": len(state.replies),
        "elapsedInitialReplyTime": message.reply_elapsed_minutes if replied else None,
        "mailboxInitialReplyTime": message.reply_business_minutes if replied else None,
        "userInitialReplyTime": message.reply_user_minutes if replied else None,
        "elapsedCloseTime": message.close_elapsed_minutes if closed else None,
        "mailboxCloseTime": message.close_business_minutes if closed else None,
        "userCloseTime": message.close_user_minutes if closed else None,
        "closeKind": message.close_kind if closed else None,
        "newConversation": message.conversation_start == state.received,
        "insideReplySla": message.reply_in_sla if replied else None,
        "insideClosedSla": message.close_in_sla if closed else None,
    }


def _owner_details(mailbox: Mailbox, owner: str | None) -> Row:
    user = next((u for u in mailbox.users if u.user_id == owner), None)
    return {
        "ownerUserName": user.name if user else None,
        "ownerUserEmail": user.email if user else None,
        "ownerUserActive": user.active if user else None,
    }


def _utc(instant: datetime | None) -> str | None:
    return None if instant is None else instant.strftime("%Y-%m-%dT%H:%M:%SZ")
