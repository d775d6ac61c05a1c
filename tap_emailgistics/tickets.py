"""A planned window of a partition, with its report run and what became of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from tap_emailgistics.report_run import ReportRun
    from tap_emailgistics.run_types import Sender
    from tap_emailgistics.windows import Window

#: (stream name, mailboxId, period): one partition of one report stream.
PartitionKey = tuple[str, str, str]


def _nothing(_ticket: Ticket) -> None:
    """The default callback: nothing to record."""


@dataclass(eq=False)
class Ticket:
    """One planned window: its run, who sends its requests, and what became of it."""

    partition: PartitionKey
    window: Window
    run: ReportRun
    send: Sender
    #: Called once the run's results link is known (the resume record in state).
    on_created: Callable[[Ticket], None] = _nothing
    #: Called when the run is known to be bad (ended in error and given up, or never to
    #: be created now): its resume record must go.
    on_dropped: Callable[[Ticket], None] = _nothing
    #: A new ticket of the same partition for another window (to split a late run's
    #: window); None when the window cannot be cut.
    spawn: Callable[[Window], Ticket] | None = None
    started: bool = False
    claimed: bool = False
    #: Read, failed, cancelled or parked: it is polled no more, and sends nothing more.
    finished: bool = False
    failure: Exception | None = None
    noted_href: str | None = None

    def orphans_until(self, hold: float) -> list[float]:
        """When each orphan this ticket may have left running stops holding a slot."""
        run = self.run
        return [] if run.is_done else [at + hold for at in run.orphaned_at]

    def slots(self, now: float, hold: float) -> int:
        """Runs of this ticket the API may count as running at ``now``."""
        held = sum(1 for until in self.orphans_until(hold) if until > now)
        return int(self.run.is_running) + held

    @property
    def needs_slot(self) -> bool:
        """Its next request creates a run (a POST, or the read of a resumed one)."""
        return self.run.attempt.started is None and self.failure is None
