"""The run-then-poll-then-page paginator that drives one report run.

The SDK's request loop calls the paginator after every response: while the run is
``running`` it waits (exponential, jittered, bounded by the run deadline) and asks
for ``_links.self`` again; once ``done`` it follows ``_links.next`` until there is
none. Every link is checked against the configured host before it is followed.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from singer_sdk.pagination import BaseAPIPaginator

from tap_emailgistics.errors import ForeignLinkError, RunDeadlineError

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

_ENVELOPE_ATTRIBUTE = "_emailgistics_envelope"
LOGGER = logging.getLogger("tap-emailgistics")


def envelope_of(response: requests.Response) -> dict[str, Any]:
    """The response's JSON envelope, parsed once per response."""
    cached = getattr(response, _ENVELOPE_ATTRIBUTE, None)
    if cached is None:
        cached = response.json()
        setattr(response, _ENVELOPE_ATTRIBUTE, cached)
    return dict(cached)


@dataclass(frozen=True)
class RunLink:
    """A request the paginator asks for next: a poll, a page, or a re-created run."""

    href: str
    method: str = "GET"
    body: dict[str, Any] | None = None
    #: Polls of one run reuse one href; the count keeps tokens distinct for the SDK.
    poll: int = 0

    @classmethod
    def from_origin(cls, origin: dict[str, Any]) -> RunLink:
        """The request that re-creates a run from its ``_links.origin``."""
        parameters = (origin.get("body") or {}).get("parameters")
        return cls(href=origin["href"], method=origin.get("method", "POST"), body=parameters)


class LinkGuard:
    """Allows links only to the configured scheme and host."""

    def __init__(self, base_url: str) -> None:
        """Remember the scheme and host of ``base_url``."""
        parts = urlsplit(base_url)
        self.scheme, self.netloc = parts.scheme, parts.netloc.lower()

    def check(self, href: str) -> str:
        """Return ``href`` if it is on the configured host, else fail without sending."""
        parts = urlsplit(href)
        if (parts.scheme, parts.netloc.lower()) != (self.scheme, self.netloc):
            msg = (
                f"The API sent a link to another host ({parts.scheme}://{parts.netloc}"
                f"{parts.path}); the tap only follows links on {self.scheme}://"
                f"{self.netloc}. Check base_url: it must be the host the API answers on."
            )
            raise ForeignLinkError(msg)
        return href


@dataclass(frozen=True)
class PollPolicy:
    """How long to wait between polls of a running run."""

    initial_seconds: float = 2.0
    max_seconds: float = 30.0
    jitter: float = 0.2
    deadline_seconds: float = 45 * 60.0

    def wait(self, poll: int, rng: random.Random) -> float:
        """Wait before poll number ``poll`` (0-based): doubling, capped, jittered."""
        base = min(self.max_seconds, self.initial_seconds * 2.0**poll)
        return float(base * (1 + self.jitter * rng.random()))


@dataclass
class RunObservation:
    """What the paginator learned about the run it drives."""

    origin: dict[str, Any] | None = None
    cutoff: str | None = None
    time_zone: str | None = None


class ReportRunPaginator(BaseAPIPaginator[RunLink | None]):
    """Drives one report run from its POST (or re-creation) to its last page."""

    def __init__(  # noqa: PLR0913 - collaborators are injected for tests
        self,
        start: RunLink | None,
        guard: LinkGuard,
        policy: PollPolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        """Start at ``start`` (None: the stream's own POST)."""
        super().__init__(start)
        self.guard, self.policy = guard, policy
        self.sleep, self.clock = sleep, clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.started = clock()
        self.observed = RunObservation()
        self._poll_count = 0

    def continue_if_empty(self, response: requests.Response) -> bool:
        """A running run's empty page, or an empty page with a next link, goes on."""
        envelope = envelope_of(response)
        return envelope.get("status") == "running" or "next" in envelope.get("_links", {})

    def get_next(self, response: requests.Response) -> RunLink | None:
        """The next poll while running; the next page once done; None at the end."""
        envelope = envelope_of(response)
        links = envelope.get("_links", {})
        self.observed.origin = links.get("origin") or self.observed.origin
        if envelope.get("status") == "running":
            return self._poll(links["self"]["href"], envelope.get("progress"))
        result = envelope.get("result") or {}
        self.observed.cutoff = result.get("dataCutoffTimestamp")
        self.observed.time_zone = result.get("timeZone") or self.observed.time_zone
        following = links.get("next")
        return RunLink(self.guard.check(following["href"])) if following else None

    def _poll(self, href: str, progress: object) -> RunLink:
        self.guard.check(href)
        elapsed = self.clock() - self.started
        if elapsed > self.policy.deadline_seconds:
            msg = (
                f"A report run was still running after {elapsed / 60:.1f} minutes "
                f"(progress {progress}%): raise run_deadline_minutes, or request "
                "smaller windows with window_days."
            )
            raise RunDeadlineError(msg)
        wait = self.policy.wait(self._poll_count, self.rng)
        wait = min(wait, max(0.0, self.policy.deadline_seconds - elapsed) + 1.0)
        LOGGER.info("Report run at %s%%; polling again in %.1f s", progress, wait)
        self.sleep(wait)
        self._poll_count += 1
        return RunLink(href, poll=self._poll_count)
