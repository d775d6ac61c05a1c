"""The values a report run is made of: its requests, answers, pages and verified result."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import random
    from datetime import datetime

    import requests


class RunState(Enum):
    """Where a run is in its life."""

    CREATED = "created"  # POST sent, no answer read yet
    RUNNING = "running"
    DONE = "done"  # a done answer seen; pages being read
    PAGED = "paged"  # the last page (no next link) read
    VERIFIED = "verified"


@dataclass(frozen=True)
class RunRequest:
    """One request of a run: the POST (``href`` None: the report's endpoint) or a GET."""

    method: str
    href: str | None = None
    body: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    #: Polls of one run reuse one href; the count keeps paginator tokens distinct.
    sequence: int = 0


@dataclass(frozen=True)
class Answer:
    """An answer's JSON body and the API's clock when it was sent (HTTP ``Date``)."""

    response: requests.Response
    body: object
    api_now: datetime


class Sender(Protocol):
    """Sends one request of a run through the transport; ``where`` names the run in logs."""

    def __call__(self, request: RunRequest, where: str | None = None, /) -> Answer:
        """The answer to ``request``."""


@dataclass(frozen=True)
class PollPolicy:
    """When to poll a running run: at its estimated end, within the floor and the cap.

    A run's ``progress`` and the time it has run so far estimate its end; polling then
    (plus jitter) notices it soon after it finishes without extra polls. Before a run
    shows progress, the shortest run of this sync so far (``expected``) stands in.
    Without either, waits double from the floor to the cap, as the API docs ask.
    """

    initial_seconds: float = 2.0
    max_seconds: float = 30.0
    jitter: float = 0.2
    deadline_seconds: float = 45 * 60.0

    def wait(self, poll: int, rng: random.Random) -> float:
        """Wait before poll number ``poll`` (0-based): doubling, capped, jittered."""
        base = min(self.max_seconds, self.initial_seconds * 2.0**poll)
        return float(base * (1 + self.jitter * rng.random()))

    def wait_for(
        self,
        progress: int | None,
        elapsed: float,
        poll: int,
        rng: random.Random,
        expected: float | None = None,
    ) -> float:
        """Wait before the next poll of a run at ``progress`` % after ``elapsed`` s."""
        if progress is not None and 0 < progress < 100 and elapsed > 0:  # noqa: PLR2004
            # A whole percent rounded down makes this estimate err late, never early.
            left = elapsed * (100 - progress) / progress
        elif expected is not None and expected > elapsed:
            left = expected - elapsed
        else:
            return self.wait(poll, rng)
        jittered = left * (1 + self.jitter * rng.random())
        return float(min(self.max_seconds, max(self.initial_seconds, jittered)))


@dataclass(frozen=True)
class Page:
    """Rows of one page of a ``done`` run, with the run's own facts."""

    rows: list[dict[str, Any]]
    attempt: int  # a new attempt re-reads the window from its first row
    cutoff: str | None
    api_now: datetime


@dataclass(frozen=True)
class VerifiedRun:
    """What a verified run proves: its cutoff (None: verified absent) and the API's now."""

    cutoff: str | None
    api_now: datetime
    rows: int
    attempts: int
