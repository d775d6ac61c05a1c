"""The API's "now", read from the HTTP ``Date`` of its answers.

The range to extract ends at the API's now, and no period that ends after it is final:
a skewed host clock must neither request periods the API has not reached nor mark too
much final. Without a ``Date`` header the host clock stands in, with one warning.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

LOGGER = logging.getLogger("tap-emailgistics")


def _host_now() -> datetime:
    return datetime.now(UTC)


class ApiClock:
    """The latest ``Date`` the API sent (UTC), or the host's clock when it sent none."""

    def __init__(self, host_now: Callable[[], datetime] = _host_now) -> None:
        """``host_now`` is the fallback clock (injected by tests)."""
        self._host_now = host_now
        self._latest: datetime | None = None
        self._warned = False
        self._lock = threading.Lock()

    def observe(self, headers: Mapping[str, str]) -> datetime | None:
        """Record an answer's ``Date``; return it (None when absent or unreadable)."""
        value = headers.get("Date")
        if not value:
            return None
        try:
            stamp = parsedate_to_datetime(value).astimezone(UTC)
        except (TypeError, ValueError):
            LOGGER.debug("Unreadable HTTP Date header %r", value)
            return None
        with self._lock:
            if self._latest is None or stamp > self._latest:
                self._latest = stamp
        return stamp

    def now(self) -> datetime:
        """The API's now as last seen, else the host's now (warned about once)."""
        with self._lock:
            if self._latest is not None:
                return self._latest
            if not self._warned:
                self._warned = True
                LOGGER.warning(
                    "The API sent no HTTP Date header: using this machine's clock as the "
                    "API's now. If it is wrong, set end_date explicitly."
                )
        return self._host_now()
