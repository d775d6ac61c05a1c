"""Deterministic synthetic Emailgistics activity, generated from a seed.

Every report is aggregated from the same message list, so the reports agree with
each other. Activity is modelled as timestamped events (received, initiated,
assigned, replies, closes); each metric of a bucket depends only on the events inside
that bucket, which is what makes a bucket final once the cutoff has passed its end.
Messages also carry a stable id and, for some, a snooze: what the message detail report
shows of each message (see message_detail.py).
"""

from __future__ import annotations

import functools
import random
import uuid
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from emailgistics_sandbox.truth.message_traits import snooze, stable_message_id

#: Activity exists between these instants (UTC); reports outside return zero rows.
ACTIVITY_START = datetime(2025, 7, 1, tzinfo=UTC)
ACTIVITY_END = datetime(2027, 1, 1, tzinfo=UTC)

#: The first mailbox carries the id of the public documentation's examples.
DOCS_MAILBOX_ID = "af412a6c-657f-445b-892c-b6b1fa41ad1b"

CLOSE_KINDS = ("archived", "deleted", "junk", "sentItems")
_DOMAINS = (
    "contoso.com",
    "fabrikam.com",
    "northwind.io",
    "adventure-works.com",
    "tailspin.net",
    "wingtip.org",
    "litware.co",
    "proseware.de",
)
_MAILBOX_SPECS = (
    # name, zone, active, messages per day
    ("Customer Support", "America/New_York", True, 26),
    ("Billing", "Asia/Kolkata", True, 14),
    ("Sales APAC", "Australia/Sydney", True, 10),
    ("Legacy Helpdesk", "Europe/London", False, 4),
)


@dataclass(frozen=True)
class User:
    """A mailbox user."""

    user_id: str
    name: str
    email: str
    active: bool


@dataclass(frozen=True)
class Tag:
    """A mailbox tag."""

    tag_id: str
    name: str
    color: str
    active: bool


@dataclass(frozen=True)
class Event:
    """One timestamped piece of activity of a message."""

    at: datetime  # UTC
    kind: str  # received|initiated|assigned|reassigned|initialReply|additionalReply|closed
    message: Message
    user_id: str | None = None


@dataclass(frozen=True)
class Message:
    """One conversation's activity in a mailbox."""

    message_id: str  # stable across sandboxes with the same seed
    domain: str
    conversation_start: datetime
    user_id: str | None  # final owner; None = activity with no identifiable user
    reply_elapsed_minutes: float | None
    reply_business_minutes: float | None
    reply_user_minutes: float | None
    reply_in_sla: bool
    close_kind: str | None
    close_elapsed_minutes: float | None
    close_business_minutes: float | None
    close_user_minutes: float | None
    close_in_sla: bool
    snoozed_at: datetime | None = None  # UTC; the snooze ends at snoozed_until or a close
    snoozed_until: datetime | None = None


@dataclass
class Mailbox:
    """A mailbox with its users, tags and time-sorted events."""

    mailbox_id: str
    name: str
    email: str
    active: bool
    time_zone: str
    users: list[User]
    tags: list[Tag]
    events: list[Event] = field(default_factory=list)
    _event_times: list[datetime] = field(default_factory=list)
    _timelines: dict[str, list[Event]] | None = None
    messages_made: int = 0

    @property
    def zone(self) -> ZoneInfo:
        """The mailbox's IANA zone."""
        return ZoneInfo(self.time_zone)

    def events_between(self, start: datetime, end: datetime) -> list[Event]:
        """Events with ``start <= at < end`` (UTC), in time order."""
        low = bisect_left(self._event_times, start)
        high = bisect_left(self._event_times, end)
        return self.events[low:high]

    def timeline(self, message_id: str) -> list[Event]:
        """Every event of one message, in time order."""
        if self._timelines is None:
            # Built on first use: only the message detail report needs it, and a
            # sandbox with many extra mailboxes should not start slower for it.
            timelines: dict[str, list[Event]] = defaultdict(list)
            for event in self.events:
                timelines[event.message.message_id].append(event)
            self._timelines = dict(timelines)
        return self._timelines[message_id]

    def seal(self) -> None:
        """Sort events and index their times for range look-ups."""
        self.events.sort(key=lambda event: event.at)
        self._event_times = [event.at for event in self.events]


@functools.lru_cache(maxsize=8)
def build_dataset(
    seed: int, second_hour_domain: str | None = None, extra_mailboxes: int = 0
) -> tuple[Mailbox, ...]:
    """Generate the sandbox's mailboxes and their activity from ``seed``.

    With ``second_hour_domain``, that domain is active only in the *second* occurrence
    of every repeated (DST fall-back) hour: sparse rows a client can only key right by
    their order in the result.

    Cached: generating the data is about a second of CPU, and many sandboxes of one
    process (a test run) start from the same arguments. Safe to share, because nothing
    changes a mailbox once it is built (the directory keeps its removals apart).
    """
    rng = random.Random(seed)
    mailboxes: list[Mailbox] = []
    zones = [spec[1] for spec in _MAILBOX_SPECS]
    extra = [
        (f"Queue {n:03d}", zones[n % len(zones)], True, 3) for n in range(1, extra_mailboxes + 1)
    ]
    for index, (name, zone, active, per_day) in enumerate([*_MAILBOX_SPECS, *extra]):
        mailbox_id = DOCS_MAILBOX_ID if index == 0 else str(_uuid(rng))
        slug = name.lower().replace(" ", "-")
        mailbox = Mailbox(
            mailbox_id=mailbox_id,
            name=name,
            email=f"{slug}@example.com",
            active=active,
            time_zone=zone,
            users=_users(rng, slug),
            tags=_tags(rng),
        )
        _generate_activity(rng, mailbox, per_day)
        if second_hour_domain is not None:
            _move_to_second_hours(rng, mailbox, second_hour_domain)
        mailbox.seal()
        mailboxes.append(mailbox)
    return tuple(mailboxes)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _users(rng: random.Random, slug: str) -> list[User]:
    names = ("Ada", "Brook", "Cyd", "Dana", "Eli")
    return [
        User(
            user_id=str(_uuid(rng)),
            name=f"{first} {slug.split('-', maxsplit=1)[0].title()}",
            email=f"{first.lower()}.{slug}@example.com",
            active=position != len(names) - 1,  # the last user was offboarded
        )
        for position, first in enumerate(names)
    ]


def _tags(rng: random.Random) -> list[Tag]:
    specs = (
        ("Urgent", "#d13438", True),
        ("VIP", "#8764b8", True),
        ("Old queue", "#605e5c", False),
    )
    return [Tag(str(_uuid(rng)), n, c, a) for n, c, a in specs]


def _generate_activity(rng: random.Random, mailbox: Mailbox, per_day: int) -> None:
    zone = mailbox.zone
    day = ACTIVITY_START
    while day < ACTIVITY_END:
        weekday = day.astimezone(zone).weekday()
        count = rng.randint(per_day // 3, per_day) if weekday < 5 else per_day // 5
        for _ in range(count):
            received = day + timedelta(seconds=rng.randrange(86_400))
            _add_message(rng, mailbox, received)
        day += timedelta(days=1)


def repeated_hours(zone: ZoneInfo) -> list[datetime]:
    """UTC starts of the second occurrence of every repeated hour with activity."""
    starts: list[datetime] = []
    instant = ACTIVITY_START
    while instant < ACTIVITY_END:
        if instant.astimezone(zone).fold == 1 and (instant - _HOUR).astimezone(zone).fold == 0:
            starts.append(instant)
        instant += _HOUR
    return starts


_HOUR = timedelta(hours=1)


def _move_to_second_hours(rng: random.Random, mailbox: Mailbox, domain: str) -> None:
    for second in repeated_hours(mailbox.zone):
        first = second - _HOUR
        mailbox.events[:] = [
            e for e in mailbox.events if not (e.message.domain == domain and first <= e.at < second)
        ]
        _add_message(rng, mailbox, second + timedelta(minutes=20), domain=domain)


def _add_message(
    rng: random.Random, mailbox: Mailbox, at: datetime, domain: str | None = None
) -> None:
    message = _new_message(rng, mailbox, at, domain)
    owner, elapsed = message.user_id, message.reply_elapsed_minutes
    outbound = rng.random() < 0.08
    events = mailbox.events
    events.append(Event(at, "initiated" if outbound else "received", message))
    if owner is not None:
        events.append(Event(at + timedelta(minutes=2), "assigned", message, owner))
        if rng.random() < 0.1:
            events.append(Event(at + timedelta(minutes=9), "reassigned", message, owner))
    if elapsed is not None:
        reply_at = at + timedelta(minutes=elapsed)
        events.append(Event(reply_at, "initialReply", message, owner))
        for extra in range(rng.choice((0, 0, 1, 2))):
            later = reply_at + timedelta(minutes=45 * (extra + 1))
            events.append(Event(later, "additionalReply", message, owner))
    if message.close_elapsed_minutes is not None:
        closed_at = at + timedelta(minutes=message.close_elapsed_minutes)
        events.append(Event(closed_at, "closed", message, owner))


def _new_message(rng: random.Random, mailbox: Mailbox, at: datetime, domain: str | None) -> Message:
    # The draws keep their order: the same seed must give the same data set as before.
    owner = rng.choice(mailbox.users).user_id if rng.random() < 0.85 else None
    replied = rng.random() < 0.8
    elapsed = round(rng.uniform(3, 600), 1) if replied else None
    close_kind = rng.choice(CLOSE_KINDS) if rng.random() < 0.75 else None
    close_elapsed = round(rng.uniform(30, 2_000), 1) if close_kind else None
    # Ids and snoozes are not drawn from `rng`: drawing would shift every later draw.
    mailbox.messages_made += 1
    message_id = stable_message_id(mailbox.mailbox_id, mailbox.messages_made)
    closed_at = None if close_elapsed is None else at + timedelta(minutes=close_elapsed)
    snoozed_at, snoozed_until = snooze(message_id, at, closed_at)
    return Message(
        message_id=message_id,
        domain=domain or rng.choice(_DOMAINS),
        conversation_start=at - timedelta(days=rng.choice((0, 0, 0, 1, 3, 9))),
        user_id=owner,
        reply_elapsed_minutes=elapsed,
        reply_business_minutes=round(elapsed * rng.uniform(0.3, 0.9), 1) if elapsed else None,
        reply_user_minutes=round(elapsed * rng.uniform(0.1, 0.8), 1) if elapsed else None,
        reply_in_sla=bool(elapsed is not None and elapsed < 240),
        close_kind=close_kind,
        close_elapsed_minutes=close_elapsed,
        close_business_minutes=round(close_elapsed * 0.6, 1) if close_elapsed else None,
        close_user_minutes=round(close_elapsed * 0.4, 1) if close_elapsed else None,
        close_in_sla=bool(close_elapsed is not None and close_elapsed < 1_440),
        snoozed_at=snoozed_at,
        snoozed_until=snoozed_until,
    )
