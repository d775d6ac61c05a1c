"""The sync's time budget: no new report runs after it, and no waiting past a short grace.

With ``time_budget_minutes`` a scheduled sync ends on time: once the budget is spent
the scheduler creates no more runs; runs already created are read if they finish
within a grace of about one run's length, else *parked*: their results links stay in
the state (``runs_in_flight``) and the next sync reads them. Partitions whose runs
never started are *deferred*: their bookmarks stay, and because every sync starts
with the partitions that waited longest (``priority``), they go first next time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

#: The grace is this many times the longest run of the sync, within the bounds below.
_GRACE_RUNS = 1.25
_GRACE_MIN_SECONDS = 5.0
_GRACE_MAX_SECONDS = 600.0


@dataclass
class TimeBudget:
    """How long the sync may create runs (None: no limit), from ``start``."""

    seconds: float | None = None
    clock: Callable[[], float] = field(default_factory=lambda: time.monotonic)
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        """The budget runs from now until ``start`` is called again."""
        self.start()

    def start(self) -> None:
        """The sync begins: the budget runs from now."""
        self.started = self.clock()

    def spent(self) -> bool:
        """No new report run may be created."""
        return self.seconds is not None and self.clock() - self.started >= self.seconds

    def grace_over(self, longest_run: float) -> bool:
        """Runs still running now are parked, not waited for.

        ``longest_run``: the longest a run of this sync took (or a stand-in, before any
        finished): the grace lets a run created just before the budget ended finish.
        """
        ends = self.wake_times(longest_run)
        return bool(ends) and self.clock() >= ends[-1]

    def wake_times(self, longest_run: float) -> list[float]:
        """When the budget ends and when its grace does (monotonic); none without a budget."""
        if self.seconds is None:
            return []
        grace = min(_GRACE_MAX_SECONDS, max(_GRACE_MIN_SECONDS, _GRACE_RUNS * longest_run))
        end = self.started + self.seconds
        return [end, end + grace]
