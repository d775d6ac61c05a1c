"""The shared state behind one sandbox: data, clock, keys, runs, limits, faults, log."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from emailgistics_sandbox.neighbour.client import Neighbour
from emailgistics_sandbox.runs.limits import RequestRateLimiter
from emailgistics_sandbox.runs.store import ApiError, RunStore
from emailgistics_sandbox.settings.config import SandboxSettings, default_keys
from emailgistics_sandbox.settings.faults import FaultInjector
from emailgistics_sandbox.truth.data import build_dataset
from emailgistics_sandbox.truth.directory import Directory

if TYPE_CHECKING:
    from emailgistics_sandbox.settings.config import ApiKey
    from emailgistics_sandbox.truth.data import Mailbox, Tag, User


class SandboxClock:
    """The sandbox's notion of now: fixed at start, settable and advanceable."""

    def __init__(self, now: datetime) -> None:
        """Start at ``now`` (made UTC-aware)."""
        self._now = _aware(now)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current sandbox time (UTC)."""
        with self._lock:
            return self._now

    def set(self, now: datetime) -> None:
        """Jump to ``now``."""
        with self._lock:
            self._now = _aware(now)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        with self._lock:
            self._now += delta
            return self._now


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RequestLog:
    """What the sandbox received: one entry per API request."""

    def __init__(self) -> None:
        """Start empty."""
        self._entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> None:
        """Append one entry."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        """A copy of every entry, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()


class SandboxState:
    """Everything one sandbox server shares between its request threads."""

    def __init__(self, settings: SandboxSettings) -> None:
        """Generate the data set and set up keys, clock, limits and faults."""
        self.settings = settings
        self.mailboxes: list[Mailbox] = list(
            build_dataset(settings.seed, settings.second_hour_domain, settings.extra_mailboxes)
        )
        keys = settings.keys or default_keys(self.mailboxes[1].mailbox_id)
        self.keys: dict[str, ApiKey] = {k.key: k for k in keys}
        self.clock = SandboxClock(settings.now)
        self.runs = RunStore()
        self.rate_limiter = RequestRateLimiter()
        self.faults = FaultInjector(settings.faults, settings.fault_seed)
        self.log = RequestLog()
        self.directory = Directory(self.mailboxes)
        self.neighbour = Neighbour(self)  # started and stopped with the server

    def visible_until(self) -> datetime:
        """Activity is visible up to the clock minus the lag, to the whole minute."""
        cutoff = self.clock.now() - timedelta(minutes=self.settings.lag_minutes)
        return cutoff.replace(second=0, microsecond=0)

    def mailbox_by_id(self, mailbox_id: str) -> Mailbox | None:
        """The mailbox with this id, whoever asks."""
        return next((m for m in self.mailboxes if m.mailbox_id == mailbox_id), None)

    def mailbox_for(
        self, key: ApiKey, mailbox_id: str, *, include_removed: bool = False
    ) -> Mailbox:
        """The mailbox if the key's allowlist includes it; else the documented 404.

        A mailbox removed from the directory is a 404 too, unless ``include_removed``
        (the oracle's ground truth: the activity still happened).
        """
        mailbox = self.mailbox_by_id(mailbox_id)
        listed = include_removed or self.directory.lists(mailbox_id)
        if mailbox is None or not key.allows(mailbox_id) or not listed:
            message = f"Mailbox {mailbox_id} was not found or is not allowed for this key."
            raise ApiError(404, message)
        return mailbox

    def mailbox_list(self, key: ApiKey) -> list[dict[str, Any]]:
        """``GET /api/v1/admin/mailboxes``: the key's allowlisted mailboxes, as listed now."""
        return [
            self._mailbox_json(m)
            for m in self.mailboxes
            if key.allows(m.mailbox_id) and self.directory.lists(m.mailbox_id)
        ]

    def _mailbox_json(self, mailbox: Mailbox) -> dict[str, Any]:
        listed = self.directory
        return {
            "mailboxId": mailbox.mailbox_id,
            "mailboxName": mailbox.name,
            "mailboxEmail": mailbox.email,
            "active": mailbox.active,
            "timeZone": mailbox.time_zone,
            "users": [
                _user_json(u)
                for u in mailbox.users
                if listed.lists_user(mailbox.mailbox_id, u.user_id)
            ],
            "tags": [
                _tag_json(t) for t in mailbox.tags if listed.lists_tag(mailbox.mailbox_id, t.tag_id)
            ],
        }


def _user_json(user: User) -> dict[str, Any]:
    return {
        "userId": user.user_id,
        "userName": user.name,
        "userEmail": user.email,
        "active": user.active,
    }


def _tag_json(tag: Tag) -> dict[str, Any]:
    return {"tagId": tag.tag_id, "tagName": tag.name, "tagColor": tag.color, "active": tag.active}
