"""A run's request that keeps failing: its tries, the wait before the next one, the give-up.

The transport tries a run's request once (``send_once``); this counts the tries of the
run's current request and says when the next may go, so the scheduler can wait for it
while every other run moves on. The allowance and the waits are the transport's
(``RequestFailedError``): 8 tries, from 2 s doubling to 2 min, a 429 from a minute.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tap_emailgistics.errors import TransportGaveUpError

if TYPE_CHECKING:
    from collections.abc import Callable

    from tap_emailgistics.errors import RequestFailedError

LOGGER = logging.getLogger("tap-emailgistics")


class RequestRetries:
    """The failed tries of a run's current request, since it was last answered."""

    def __init__(self, clock: Callable[[], float]) -> None:
        """``clock``: the run's monotonic clock."""
        self.clock = clock
        self.failures = 0
        self._since: float | None = None

    @property
    def pending(self) -> bool:
        """The current request failed and waits for its next try."""
        return self.failures > 0

    def answered(self) -> None:
        """The request was answered: the next one starts with a whole allowance."""
        self.failures, self._since = 0, None

    def failed(self, failure: RequestFailedError, where: str) -> float:
        """Count one failed try and return the wait before the next; or raise the give-up.

        ``where`` names the run (report, mailbox, period, window) in every line.
        """
        now = self.clock()
        self.failures += 1
        self._since = now if self._since is None else self._since
        if self.failures >= failure.max_tries:
            gave_up = TransportGaveUpError(
                failure.what, self.failures, now - self._since, failure.last
            )
            raise gave_up.at(where)
        wait = failure.wait_for(self.failures)
        # DEBUG: a partition that gives up says so once, at WARNING, with the last failure.
        LOGGER.debug(
            "Retrying in %.1f s (attempt %d of %d; %s): %s",
            wait,
            self.failures,
            failure.max_tries,
            where,
            failure.last,
        )
        return wait
