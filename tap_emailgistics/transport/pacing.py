"""Pacing: stay under the account's requests per minute, polls included."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class RequestPacer:
    """Keeps this tap under ``per_minute`` requests in any sliding minute.

    Shared by every stream of a tap, because the API's limit is per account.
    """

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """Allow ``per_minute`` requests per 60 s."""
        self.per_minute = per_minute
        self.clock, self.sleep = clock or time.monotonic, sleep or time.sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def wait_for_slot(self) -> float:
        """Block until a request may be sent; return how long it waited."""
        with self._lock:
            now = self.clock()
            while self._sent and self._sent[0] <= now - 60:
                self._sent.popleft()
            waited = 0.0
            if len(self._sent) >= self.per_minute:
                waited = self._sent[0] + 60 - now
                self.sleep(waited)
                self._sent.popleft()
            self._sent.append(now + waited)
            return waited
