"""The account-wide request rate limit (a sliding one-minute window)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

WINDOW_SECONDS = 60.0


class RequestRateLimiter:
    """Counts requests per account over the last minute of real time."""

    def __init__(self) -> None:
        """Start with no requests seen."""
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def admit(self, account: str, limit: int) -> int | None:
        """Record a request; return ``Retry-After`` seconds when it is over ``limit``.

        A ``limit`` of 0 turns the limit off. A rejected request is not counted, so
        ``Retry-After`` is exactly when the oldest counted request leaves the window.
        """
        if limit <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            seen = self._seen[account]
            while seen and seen[0] <= now - WINDOW_SECONDS:
                seen.popleft()
            if len(seen) >= limit:
                return max(1, math.ceil(seen[0] + WINDOW_SECONDS - now))
            seen.append(now)
            return None
