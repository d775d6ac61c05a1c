"""Pacing: stay under the account's requests per minute, polls included, with others on it.

The account's 100 requests a minute are shared with every other client and key, and
with this tap's own previous process. So the pacer keeps to ``requests_per_minute`` in
any sliding minute, and besides:

- a GET answered 429 (only the request rate causes that) pauses every request until the
  answer's ``Retry-After`` (else ``rate_limit_wait_seconds``) and lowers the pace by a
  quarter (to at least ``_MIN_PACE``); it comes back by ``_RECOVERY_STEP`` requests a
  minute for every ``_RECOVERY_SECONDS`` without another;
- the last minute's requests go into the state (``recent``) and the next sync starts
  with them (``preload``), so a sync started right after another does not run into the
  minute that one spent.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

LOGGER = logging.getLogger("tap-emailgistics")
_MIN_PACE = 10
_SLOW_DOWN = 0.75
_RECOVERY_SECONDS = 10.0
_RECOVERY_STEP = 2
_MINUTE = 60.0


class RequestPacer:
    """Keeps this tap under its pace in any sliding minute, lowered while the account is busy.

    Shared by every stream of a tap, because the API's limit is per account.
    """

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        *,
        fallback_wait: float = 60.0,
    ) -> None:
        """Allow ``per_minute`` requests per 60 s; ``fallback_wait``: a bare 429's pause."""
        self.per_minute = self.pace = per_minute
        self.clock, self.sleep = clock or time.monotonic, sleep or time.sleep
        self.fallback_wait = fallback_wait
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()
        self._not_before = 0.0
        self._limited_at: float | None = None
        self.limited = 0

    def wait_for_slot(self) -> float:
        """Block until a request may be sent; return how long it waited."""
        with self._lock:
            now = self.clock()
            self._recover(now)
            while self._sent and self._sent[0] <= now - _MINUTE:
                self._sent.popleft()
            due = self._not_before
            if len(self._sent) >= self.pace:  # the pace-th latest must leave the minute
                due = max(due, self._sent[len(self._sent) - self.pace] + _MINUTE)
            waited = max(0.0, due - now)
            if waited:
                self.sleep(waited)
            self._sent.append(now + waited)
            return waited

    def rate_limited(self, retry_after: float | None) -> None:
        """A GET was answered 429: pause, and lower the pace."""
        with self._lock:
            now = self.clock()
            self.limited += 1
            wait = self.fallback_wait if retry_after is None else retry_after
            self._not_before = max(self._not_before, now + wait)
            self.pace = max(_MIN_PACE, min(self.pace, math.floor(self.pace * _SLOW_DOWN)))
            self._limited_at = now
        log = LOGGER.info if self.limited == 1 else LOGGER.debug
        log(
            "A request was answered 429: the account's requests per minute are spent, "
            "probably with another client's. The tap pauses %.0f s and slows to %d "
            "requests a minute, then speeds up again (more: DEBUG).",
            wait,
            self.pace,
        )

    def _recover(self, now: float) -> None:
        if self._limited_at is None or self.pace >= self.per_minute:
            return
        steps = int((now - self._limited_at) // _RECOVERY_SECONDS)
        if steps:
            self.pace = min(self.per_minute, self.pace + steps * _RECOVERY_STEP)
            self._limited_at += steps * _RECOVERY_SECONDS

    def recent(self, wall: float | None = None) -> dict[str, Any]:
        """The requests of the last minute, per second, for the state (``preload``)."""
        wall = time.time() if wall is None else wall
        with self._lock:
            now = self.clock()
            counts = [0] * int(_MINUTE)
            for sent in self._sent:
                ago = now - sent
                if 0 <= ago < _MINUTE:
                    counts[int(_MINUTE) - 1 - int(ago)] += 1
        until = datetime.fromtimestamp(wall, UTC).isoformat(timespec="seconds")
        return {"until": until.replace("+00:00", "Z"), "per_second": counts}

    def preload(self, recent: object, wall: float | None = None) -> None:
        """Count what an earlier process sent in the minute before it ended (``recent``).

        Anything unreadable is ignored: this only makes the first minute politer.
        """
        if not isinstance(recent, dict):
            return
        try:
            counts = list(recent["per_second"])
            until = datetime.fromisoformat(str(recent["until"]))  # a "Z" reads as UTC
        except (TypeError, KeyError, ValueError):
            return
        wall = time.time() if wall is None else wall
        with self._lock:
            now = self.clock()
            gap = wall - until.timestamp()  # seconds since that minute ended
            for index, count in enumerate(counts[-int(_MINUTE) :]):
                at = now - gap - (len(counts[-int(_MINUTE) :]) - 1 - index)
                if isinstance(count, int) and now - _MINUTE < at <= now:
                    self._sent.extend([at] * min(count, self.per_minute))
            self._sent = deque(sorted(self._sent))
