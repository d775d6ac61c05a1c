"""What the neighbour uses of the account it shares: the sandbox state, as a Protocol.

The state owns the neighbour (it is started and stopped with the server), so the
neighbour cannot import the state without an import circle: it names here the few parts
it reads, and ``SandboxState`` has every one of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from datetime import datetime

    from emailgistics_sandbox.runs.limits import RequestRateLimiter
    from emailgistics_sandbox.runs.store import RunStore
    from emailgistics_sandbox.settings.config import SandboxSettings
    from emailgistics_sandbox.truth.data import Mailbox


class Clock(Protocol):
    """The sandbox's notion of now."""

    def now(self) -> datetime:
        """The current sandbox time (UTC)."""


class SharedAccount(Protocol):
    """The account's settings, runs, request limit, data and clock, as the API sees them."""

    @property
    def settings(self) -> SandboxSettings:
        """The live settings (the run cap, the request rate, the neighbour's knobs)."""

    @property
    def runs(self) -> RunStore:
        """Every run of the sandbox, whoever started it; the run cap is admitted here."""

    @property
    def rate_limiter(self) -> RequestRateLimiter:
        """The account-wide request rate limit."""

    @property
    def mailboxes(self) -> list[Mailbox]:
        """The data set's mailboxes; the neighbour reports on the first."""

    @property
    def clock(self) -> Clock:
        """The sandbox clock."""

    def visible_until(self) -> datetime:
        """Activity is visible up to this instant (UTC)."""
