"""When a report run is created again, after how long a wait, and when the engine gives up.

A run is re-created (its POST sent again), never repaired, when an attempt ended in a
way a new run can fix. Each way has its own allowance for one window in one sync:

- ``error``: the run ended in status ``error``: ``run_error_retries`` times, waiting as
  before a poll (the API's own trouble may need a moment);
- ``post``: the POST failed in a way that may have queued a run anyway (5xx, dropped
  connection, cut-off body). Such an orphan is held against the cap by the scheduler,
  so re-creating cannot overrun the account: it goes on with backoff (from the
  shortest poll wait, 2 s by default, doubling to 2 min) for ``POST_RETRY_SECONDS``
  since the first failure, like a GET's retries, so that a short storm of 503s costs
  time, not the partition;
- ``expiry``: a result page answered 404 (results live 24 h): 3 times;
- ``incomplete``: the rows disagree with ``total``: once;
- ``gone``: a run resumed from state is gone (404) or ended in ``error``: once, and it
  spends nothing else, since the sync that recorded it is not this one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tap_emailgistics.durations import duration
from tap_emailgistics.errors import IncompleteResultError, RunGaveUpError

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

    from tap_emailgistics.errors import PartitionError
    from tap_emailgistics.values import PollPolicy

LOGGER = logging.getLogger("tap-emailgistics")
#: About as long as a GET's 8 tries with backoff (2 s doubling, capped at 2 min).
POST_RETRY_SECONDS = 300.0
_POST_WAIT_CAP_SECONDS = 120.0
_POST_FIRST_WAIT = 2.0  # when the poll floor is 0: never re-send a POST in a tight loop
_COUNTED = {"expiry": 3, "incomplete": 1, "gone": 1}


class RestartRunError(Exception):
    """An attempt ended in a way that re-creating the run can fix."""

    def __init__(self, reason: str, budget: str, *, orphan: bool = False) -> None:
        """``budget``: which allowance this spends (see the module's list).

        ``orphan``: a run may have been queued that the tap cannot see (a POST that
        failed after queuing).
        """
        super().__init__(reason)
        self.budget, self.orphan = budget, orphan


class Recreations:
    """One window's re-creations in this sync: counted, waited for, or given up."""

    def __init__(self, error_retries: int, policy: PollPolicy, clock: Callable[[], float]) -> None:
        """``error_retries``: the ``run_error_retries`` setting."""
        self.policy, self.clock = policy, clock
        self.budgets = {"error": error_retries, **_COUNTED}
        self.spent = dict.fromkeys([*self.budgets, "post"], 0)
        self._posts_failing_since: float | None = None

    def created(self) -> None:
        """A POST was answered: a later storm gets its own ``post`` allowance."""
        self._posts_failing_since = None

    def admit(self, restart: RestartRunError, where: str, rng: random.Random) -> float:
        """Count one re-creation and return the wait before it; or raise the give-up error."""
        budget = restart.budget
        self.spent[budget] += 1
        if budget == "post":
            wait = self._post_wait(restart, where, rng)
            span = duration(POST_RETRY_SECONDS)
            left = f"in {duration(wait)}; failed POSTs are re-created for {span}"
        else:
            if self.spent[budget] > self.budgets[budget]:
                raise self._gave_up(restart, where)
            wait = self.policy.wait(self.spent[budget] - 1, rng) if budget == "error" else 0.0
            left = f"{self.spent[budget]} of {self.budgets[budget]}"
        # DEBUG: a window that gives up says so once, at WARNING, naming its attempts.
        LOGGER.debug("%s (%s); re-creating the run (%s)", restart, where, left)
        return wait

    def _post_wait(self, restart: RestartRunError, where: str, rng: random.Random) -> float:
        now = self.clock()
        if self._posts_failing_since is None:
            self._posts_failing_since = now
        tries, first = self.spent["post"], self.policy.initial_seconds or _POST_FIRST_WAIT
        wait = min(_POST_WAIT_CAP_SECONDS, first * 2.0 ** (tries - 1)) * (1 + 0.2 * rng.random())
        if now + wait - self._posts_failing_since > POST_RETRY_SECONDS:
            raise self._gave_up(restart, where)
        return wait

    def _gave_up(self, restart: RestartRunError, where: str) -> PartitionError:
        attempts = sum(self.spent.values())
        plural = "s" * (attempts != 1)
        text = f"{restart} ({where}; {attempts} attempt{plural}). The bookmark did not move"
        if restart.budget == "incomplete":
            return IncompleteResultError(f"{text}: rerun later.")
        if restart.budget == "post":
            text += f" after {duration(POST_RETRY_SECONDS)} of failed POSTs"
            return RunGaveUpError(f"{text}: rerun later.")
        return RunGaveUpError(f"{text}: rerun later, or raise run_error_retries.")
