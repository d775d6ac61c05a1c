"""Validation of Received Message Detail requests into a ``MessageQuery``.

``activityStart``/``activityEnd`` are ``YYYY-MM-DDTHH:MM:SS`` with an optional ``Z``:
with it, a UTC instant; without it, a wall-clock time in the mailbox's zone, as the
aggregate reports read ``start``/``end``. The range is every instant whose time lies
between the two, both inclusive: across a DST fall-back, from the first occurrence of
the start to the last occurrence of the end; a time that a spring-forward skipped is
read as the first instant after the gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from emailgistics_sandbox.api.validation import field_groups, lowered, query_flag, string_list
from emailgistics_sandbox.runs.store import ApiError
from emailgistics_sandbox.truth.message_detail import (
    ACTIVITIES,
    MESSAGE_DETAIL,
    MESSAGE_GROUPS,
    STATUSES,
    MessageFilters,
    MessageQuery,
)
from emailgistics_sandbox.truth.periods import to_utc

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from emailgistics_sandbox.api.state import SandboxState
    from emailgistics_sandbox.settings.config import ApiKey

#: Every field the body may carry; any other is a 400, never silently ignored.
BODY_FIELDS = (
    "mailboxId",
    "activityType",
    "activityStart",
    "activityEnd",
    "statuses",
    "users",
    "domains",
    "conversationId",
)
DEFAULT_START = datetime(2000, 1, 1)  # noqa: DTZ001 - read like the other bound
DEFAULT_END = datetime(2100, 12, 31, 23, 59, 59)  # noqa: DTZ001 - read like the other bound
_TIME = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(Z?)$")
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class ActivityTime:
    """``activityStart`` or ``activityEnd`` as sent: its wall-clock value and reading."""

    value: datetime  # naive
    utc: bool  # sent with `Z`


def build_message_query(
    state: SandboxState,
    query: dict[str, str],
    body: dict[str, Any],
    key: ApiKey,
    *,
    include_removed: bool = False,
) -> MessageQuery:
    """Validate a message detail request (query string and body) into a ``MessageQuery``."""
    unknown = sorted(set(body) - set(BODY_FIELDS))
    if unknown:
        accepted = ", ".join(BODY_FIELDS)
        raise ApiError(400, f"Unknown field(s) {unknown}; {MESSAGE_DETAIL} accepts {accepted}.")
    for name in ("mailboxId", "activityType"):
        if name not in body:
            raise ApiError(400, f"Missing required field {name!r}.")
    if body["activityType"] not in ACTIVITIES:
        choices = ", ".join(ACTIVITIES)
        raise ApiError(400, f"Invalid activityType {body['activityType']!r}; use one of {choices}.")
    start, end = activity_range(body)
    groups = field_groups(query, MESSAGE_GROUPS, next(iter(MESSAGE_GROUPS)))
    include_details = query_flag(query, "includeDetails")
    filters = _filters(body)
    mailbox = state.mailbox_for(key, str(body["mailboxId"]), include_removed=include_removed)
    try:
        first, last = first_instant(start, mailbox.zone), last_instant(end, mailbox.zone)
    except OverflowError:
        raise ApiError(400, "'activityStart' or 'activityEnd' is out of range.") from None
    return MessageQuery(
        mailbox=mailbox,
        activity=body["activityType"],
        start=first,
        end=last,
        groups=groups,
        include_details=include_details,
        filters=filters,
    )


def activity_range(body: dict[str, Any]) -> tuple[ActivityTime, ActivityTime]:
    """The body's bounds, defaults filled in; both read the same way, start not after end."""
    start = _activity_time(body, "activityStart")
    end = _activity_time(body, "activityEnd")
    if start is not None and end is not None and start.utc != end.utc:
        message = "'activityStart' and 'activityEnd' must both end in Z (UTC) or neither."
        raise ApiError(400, message)
    # A default is read like the bound that was sent (it lies far from any activity).
    utc = next((t.utc for t in (start, end) if t is not None), True)
    start = start or ActivityTime(DEFAULT_START, utc)
    end = end or ActivityTime(DEFAULT_END, utc)
    if start.value > end.value:
        raise ApiError(400, "'activityStart' is after 'activityEnd'.")
    return start, end


def _activity_time(body: dict[str, Any], name: str) -> ActivityTime | None:
    if name not in body:
        return None
    value = body[name]
    match = _TIME.match(value) if isinstance(value, str) else None
    parsed = _wall_clock(match.group(1)) if match else None
    if match is None or parsed is None:
        message = f"Field {name!r} must be YYYY-MM-DDTHH:MM:SS, optionally with Z; got {value!r}."
        raise ApiError(400, message)
    return ActivityTime(parsed, utc=match.group(2) == "Z")


def _wall_clock(text: str) -> datetime | None:
    # The pattern has the right shape; the calendar decides (no 2026-02-30T...).
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")  # noqa: DTZ007 - zone comes later
    except ValueError:
        return None


def first_instant(time: ActivityTime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) whose time is not earlier than ``time``."""
    if time.utc:
        return time.value.replace(tzinfo=UTC)
    first, second = to_utc(time.value, zone, 0), to_utc(time.value, zone, 1)
    if first <= second:  # equal, or a repeated time: its first occurrence
        return first
    return _after_gap(second, first, time.value, zone)


def last_instant(time: ActivityTime, zone: ZoneInfo) -> datetime:
    """The last instant (UTC, to the second) whose time is not later than ``time``."""
    if time.utc:
        return time.value.replace(tzinfo=UTC)
    first, second = to_utc(time.value, zone, 0), to_utc(time.value, zone, 1)
    if first <= second:  # equal, or a repeated time: its last occurrence
        return second
    return _after_gap(second, first, time.value, zone) - _SECOND


def _after_gap(before: datetime, after: datetime, local: datetime, zone: ZoneInfo) -> datetime:
    # `local` was skipped by a spring-forward: no instant shows it. The clock jumps past
    # it somewhere between `before` (shows an earlier time) and `after` (a later one);
    # find that instant to the second.
    while after - before > _SECOND:
        middle = (before + (after - before) / 2).replace(microsecond=0)
        if middle.astimezone(zone).replace(tzinfo=None) >= local:
            after = middle
        else:
            before = middle
    return after


def _filters(body: dict[str, Any]) -> MessageFilters:
    statuses = string_list(body, "statuses")
    wrong = sorted(set(statuses or ()) - set(STATUSES))
    if wrong:
        raise ApiError(400, f"Invalid statuses {wrong}; use {', '.join(STATUSES)}.")
    users = string_list(body, "users")
    domains = lowered(string_list(body, "domains"))
    conversation = body.get("conversationId")
    if conversation is not None and not isinstance(conversation, str):
        raise ApiError(400, "Field 'conversationId' must be a string.")
    return MessageFilters(
        statuses=None if statuses is None else frozenset(statuses),
        users=None if users is None else frozenset(users),
        domains=None if domains is None else frozenset(domains),
        conversation_id=conversation,
    )
