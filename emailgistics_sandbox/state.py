"""The shared state behind one sandbox: data, clock, keys, runs, limits, faults, log."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from emailgistics_sandbox.config import SandboxSettings, default_keys
from emailgistics_sandbox.data import build_dataset
from emailgistics_sandbox.faults import FaultInjector
from emailgistics_sandbox.limits import RequestRateLimiter
from emailgistics_sandbox.runs import ApiError, RunStore

if TYPE_CHECKING:
    from emailgistics_sandbox.config import ApiKey
    from emailgistics_sandbox.data import Mailbox


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
        self.mailboxes: list[Mailbox] = build_dataset(
            settings.seed, settings.second_hour_domain, settings.extra_mailboxes
        )
        keys = settings.keys or default_keys(self.mailboxes[1].mailbox_id)
        self.keys: dict[str, ApiKey] = {k.key: k for k in keys}
        self.clock = SandboxClock(settings.now)
        self.runs = RunStore()
        self.rate_limiter = RequestRateLimiter()
        self.faults = FaultInjector(settings.faults, settings.fault_seed)
        self.log = RequestLog()

    def visible_until(self) -> datetime:
        """Activity is visible up to the clock minus the lag, to the whole minute."""
        cutoff = self.clock.now() - timedelta(minutes=self.settings.lag_minutes)
        return cutoff.replace(second=0, microsecond=0)

    def mailbox_by_id(self, mailbox_id: str) -> Mailbox | None:
        """The mailbox with this id, whoever asks."""
        return next((m for m in self.mailboxes if m.mailbox_id == mailbox_id), None)

    def mailbox_for(self, key: ApiKey, mailbox_id: str) -> Mailbox:
        """The mailbox if the key's allowlist includes it; else the documented 404."""
        mailbox = self.mailbox_by_id(mailbox_id)
        if mailbox is None or not key.allows(mailbox_id):
            message = f"Mailbox {mailbox_id} was not found or is not allowed for this key."
            raise ApiError(404, message)
        return mailbox

    def mailbox_list(self, key: ApiKey) -> list[dict[str, Any]]:
        """``GET /api/v1/admin/mailboxes``: only the key's allowlisted mailboxes."""
        return [_mailbox_json(m) for m in self.mailboxes if key.allows(m.mailbox_id)]


def _mailbox_json(mailbox: Mailbox) -> dict[str, Any]:
    return {
        "mailboxId": mailbox.mailbox_id,
        "mailboxName": mailbox.name,
        "mailboxEmail": mailbox.email,
        "active": mailbox.active,
        "timeZone": mailbox.time_zone,
        "users": [
            {
                "userId": u.user_id,
                "userName": u.name,
                "userEmail": u.email,
                "active": u.active,
            }
            for u in mailbox.users
        ],
        "tags": [
            {
                "tagId": t.tag_id,
                "tagName": t.name,
                "tagColor": t.color,
                "active": t.active,
            }
            for t in mailbox.tags
        ],
    }
