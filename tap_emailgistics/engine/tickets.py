"""Planned windows: each one's report run and what became of it, and the plan they form."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tap_emailgistics.finality.periods import format_local, split_window

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tap_emailgistics.engine.run import ReportRun
    from tap_emailgistics.finality.periods import Window
    from tap_emailgistics.values import Sender

LOGGER = logging.getLogger("tap-emailgistics")
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
    #: The API's report (``mailboxPerformance``): faults are charged to it (``fault_scope``).
    report: str = ""
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

    def wants_answer(self, *, reading: bool) -> bool:
        """Its next request (a poll, or a page while its stream is ``reading`` it) is due."""
        run = self.run
        waiting = not run.is_done or (reading and run.ready_page is None and not run.is_paged)
        return waiting and not self.needs_slot and not self.finished

    def split(self, late: str) -> Ticket | None:
        """Re-create a late run (``late`` says why) for the first half of its window.

        The twin ticket for the second half is returned, to be planned right after;
        None when the window cannot be cut (one period) or the ticket cannot spawn.
        """
        halves = split_window(self.window, self.partition[2])
        if self.spawn is None or halves is None:
            return None
        first, second = halves
        twin, fresh = self.spawn(second), self.spawn(first)
        LOGGER.warning(
            "%s Re-creating it as two windows, %s to %s and %s to %s; the late run may "
            "hold a slot a while longer.",
            late,
            *(format_local(w) for w in (first.start, first.end, second.start, second.end)),
        )
        self.window = first
        self.run.retarget(fresh.run.create, fresh.run.where)
        return twin

    @property
    def needs_slot(self) -> bool:
        """Its next request creates a run (a POST, or the read of a resumed one)."""
        return self.run.attempt.started is None and self.failure is None


class TicketPlan:
    """Every planned ticket in reading order, found by partition and by run."""

    def __init__(self) -> None:
        """Start with nothing planned."""
        self._order: list[Ticket] = []
        self._by_partition: dict[PartitionKey, list[Ticket]] = {}
        self._by_run: dict[int, Ticket] = {}  # the tickets still to be read
        self._planned: set[str] = set()
        self._cursor = 0  # the first ticket never started

    def add(self, stream: str, tickets: Iterable[Ticket]) -> None:
        """Append one stream's tickets, in the order the stream will read them."""
        self._planned.add(stream)
        for ticket in tickets:
            self._order.append(ticket)
            self._by_partition.setdefault(ticket.partition, []).append(ticket)
            self._by_run[id(ticket.run)] = ticket

    def is_planned(self, stream: str) -> bool:
        """Whether ``stream``'s tickets are in the plan."""
        return stream in self._planned

    def tickets(self, partition: PartitionKey) -> list[Ticket]:
        """One partition's tickets, in order (a split adds one as it goes)."""
        return self._by_partition.get(partition, [])

    def of(self, run: ReportRun) -> Ticket:
        """The ticket of ``run``, which is still to be read."""
        return self._by_run[id(run)]

    def read(self, ticket: Ticket) -> None:
        """``ticket`` will not be read (again) in this sync."""
        self._by_run.pop(id(ticket.run), None)

    def unread(self) -> list[Ticket]:
        """The tickets still to be read, in no particular order."""
        return list(self._by_run.values())

    @property
    def drained(self) -> bool:
        """Every ticket was read, or will not be read in this sync."""
        return not self._by_run

    def upcoming(self, skipped: set[PartitionKey]) -> Ticket | None:
        """The first ticket never started, of a partition not in ``skipped``."""
        while self._cursor < len(self._order):
            ticket = self._order[self._cursor]
            if not ticket.started and ticket.partition not in skipped:
                return ticket
            self._cursor += 1
        return None

    def insert_after(self, ticket: Ticket, twin: Ticket) -> None:
        """Plan ``twin`` right after ``ticket`` (the second half of a split window)."""
        at = self._order.index(ticket) + 1
        self._order.insert(at, twin)
        self._cursor = min(self._cursor, at)
        siblings = self._by_partition[ticket.partition]
        siblings.insert(siblings.index(ticket) + 1, twin)
        self._by_run[id(twin.run)] = twin
