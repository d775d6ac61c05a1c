"""Run ahead: keep report runs going within the account's limits, in the order they are read.

The whole plan is known before the first run (``TicketPlan``: every selected report
stream's partitions and windows, in reading order). A stream reads its runs one at a
time (``ReportRun.pages``); while it waits (``until_ready``), the scheduler sends every
request as it falls due: the next tickets' POSTs, each poll at its run's estimated end,
the read run's pages, and each failed request's next try, so no wait stalls another.

Slots. The cap counts every run the tap may have running: runs not seen ``done``,
orphans (a failed POST may have queued one: held for the sync's longest run, or
``orphan_hold``) and runs it stopped watching; ``SlotTarget`` lowers it while others fill
the account. At most ``cap - 1`` runs start ahead of the one read: with 1, sequential.

Failures. A ``PartitionError`` is kept on its ticket and raised when its stream reaches
it; no more of that partition's runs start (a late run is split in two windows). A fault
charged to a report (``fault_scope``) fails each of its tickets still to be read; any
other failure concerns the account and propagates. After the time budget no run is
created: a ticket that would need one is deferred, one still running after the grace
or waiting to retry is parked. Single-threaded: one pacer, signals in the main thread.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING

from tap_emailgistics.engine.budget import TimeBudget
from tap_emailgistics.engine.fault_scope import FaultScopes
from tap_emailgistics.engine.recreation import RestartRunError
from tap_emailgistics.engine.slots import SlotTarget
from tap_emailgistics.engine.tickets import TicketPlan
from tap_emailgistics.errors import (
    PartitionDeferredError,
    PartitionError,
    ReportFailingError,
    RunDeadlineError,
    RunGaveUpError,
    RunSlotsTakenError,
    RunTransportGaveUpError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tap_emailgistics.engine.run import ReportRun
    from tap_emailgistics.engine.tickets import PartitionKey, Ticket

LOGGER = logging.getLogger("tap-emailgistics")


class RunScheduler:
    """Starts and polls planned runs within the limits; ``until_ready`` is its one entry point."""

    def __init__(  # noqa: PLR0913 - limits and clocks, injected for tests
        self,
        cap: int,
        *,
        orphan_hold: float,
        budget: TimeBudget | None = None,
        fallback_wait: float = 60.0,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """Limits: ``cap`` runs at once, ``orphan_hold`` (an orphan's slot time), ``fallback_wait``.

        ``orphan_hold`` counts until a first run ends; ``fallback_wait`` follows a bare 429.
        """
        # Looked up now, not at import: tests replace time.sleep to skip the waits.
        self.clock, self.sleep = clock or time.monotonic, sleep or time.sleep
        self.cap, self.slots = cap, SlotTarget(cap, fallback_wait)
        self.budget = budget or TimeBudget(None, self.clock)
        self._hold = orphan_hold
        self._longest_run: float | None = None
        self._shortest_run: float | None = None
        self.plan = TicketPlan()
        self._live: list[Ticket] = []  # started, not yet finished
        #: Until when runs the tap no longer watches may hold a slot (monotonic).
        self._holds: list[float] = []
        self._failed: set[PartitionKey] = set()  # start none of their runs any more
        self.faults = FaultScopes(self.clock)
        #: Called while the streams wait for runs (the sync's heartbeat).
        self.on_wait: Callable[[], None] = lambda: None

    def is_planned(self, stream: str) -> bool:
        """Whether ``stream``'s tickets are in the plan."""
        return self.plan.is_planned(stream)

    def add(self, stream: str, tickets: Iterable[Ticket]) -> None:
        """Append one stream's tickets, in the order the stream will read them."""
        planned = list(tickets)
        self.plan.add(stream, planned)
        for ticket in planned:
            self.faults.plan(ticket.report, ticket.partition[1])

    @property
    def drained(self) -> bool:
        """Every planned run was read, or will not be read in this sync."""
        return self.plan.drained

    @property
    def in_flight(self) -> int:
        """Runs started and not yet finished with."""
        return len(self._active())

    def tickets(self, partition: PartitionKey) -> list[Ticket]:
        """The planned windows of one partition, in order (a split adds one)."""
        return self.plan.tickets(partition)

    def until_ready(self, run: ReportRun) -> None:
        """Return once ``run`` has a page ready, or its last was read; keep every run moving."""
        ticket = self.plan.of(run)
        ticket.claimed = True
        while True:
            acted_at = self.clock()  # what falls due while requests are out is still due
            self._act(ticket, acted_at)
            if ticket.failure is not None:
                failure, ticket.failure = ticket.failure, None
                raise failure
            if run.ready_page is not None or run.is_paged:
                return
            self._check_budget(ticket)
            self.on_wait()
            self.sleep(max(0.0, self._next_due(ticket, acted_at) - self.clock()))

    def finish(self, run: ReportRun) -> None:
        """The stream has verified ``run``: it holds no slot and nothing of it is kept."""
        self._settle(self.plan.of(run))

    def abandon(self, partition: PartitionKey) -> None:
        """The partition failed or was deferred: none of its runs are read in this sync.

        Its runs still running are no longer polled (their records stay in state, for
        the next sync); each holds its slot until its expected end.
        """
        self._failed.add(partition)
        for ticket in self.tickets(partition):
            ticket.started = True  # never started now, if it was not yet
            self._settle(ticket)

    def _settle(self, ticket: Ticket) -> None:
        """Done with ``ticket``: nothing of it is kept, and it is never read."""
        self._unwatch(ticket)
        self.plan.read(ticket)
        self.faults.forget(id(ticket))
        ticket.run.release()

    def _unwatch(self, ticket: Ticket) -> None:
        """Poll ``ticket`` no more: what it may still have running holds a slot, unseen."""
        if ticket.finished:
            return
        ticket.finished = True
        now, run = self.clock(), ticket.run
        self._holds += [until for until in ticket.orphans_until(self._orphan_hold()) if until > now]
        if run.is_running and run.attempt.started is not None:
            expected = run.projected_seconds or self._orphan_hold()
            self._holds.append(max(now, run.attempt.started + expected))

    def _active(self) -> list[Ticket]:
        self._live = [t for t in self._live if not t.finished]
        return self._live

    def _in_use(self, now: float) -> int:
        hold = self._orphan_hold()
        self._holds = [until for until in self._holds if until > now]
        return sum(t.slots(now, hold) for t in self._active()) + len(self._holds)

    def _act(self, claimed: Ticket, now: float) -> None:
        """Send every request due by ``now``: polls and pages first, then new runs."""
        for ticket in self._active():
            if ticket.wants_answer(reading=ticket is claimed) and ticket.run.due_at <= now:
                self._step(ticket)
        for ticket in self._admissions(claimed):
            self._step(ticket)

    def _admissions(self, claimed: Ticket) -> Iterable[Ticket]:
        """Tickets that may send their first request now: the claimed one first, then ahead."""
        while True:
            now = self.clock()
            running = self._in_use(now)
            if running >= self.cap:
                return
            candidate = self._candidate(claimed, running, now)
            if candidate is None:
                return
            if not candidate.started:
                candidate.started = True
                self._live.append(candidate)
            yield candidate

    def _candidate(self, claimed: Ticket, running: int, now: float) -> Ticket | None:
        creating = not self.budget.spent() and self.slots.may_create(running, now)

        def ready(ticket: Ticket) -> bool:
            return ticket.run.due_at <= now and (creating or not ticket.run.next_creates)

        if claimed.needs_slot and not claimed.finished:
            return claimed if ready(claimed) else None
        ahead = [t for t in self._active() if not t.claimed]
        for ticket in ahead:  # runs started ahead that must be created again
            if ticket.needs_slot and ready(ticket):
                return ticket
        if len(ahead) >= self.cap - 1:
            return None
        upcoming = self.plan.upcoming(self._failed)
        return upcoming if upcoming is not None and ready(upcoming) else None

    def _orphan_hold(self) -> float:
        return self._hold if self._longest_run is None else self._longest_run

    def _step(self, ticket: Ticket) -> None:
        run = ticket.run
        was_done, creating, run.expected_seconds = run.is_done, run.next_creates, self._shortest_run
        try:
            run.step(self.faults.watched(ticket))
        except RunSlotsTakenError as full:
            self._refused(ticket, full)
            return
        except RestartRunError as restart:
            try:
                run.restart(restart)
            except PartitionError as gave_up:
                self._fail(ticket, gave_up)
        except RunDeadlineError as late:
            if not self._split(ticket, late):
                self._fail(ticket, late)
        except ReportFailingError as fault:
            self._give_up_report(fault)
        except PartitionError as failure:
            self._fail(ticket, failure)
        self._stepped(ticket, was_done=was_done, creating=creating)

    def _stepped(self, ticket: Ticket, *, was_done: bool, creating: bool) -> None:
        """What a request told of the slots, the runs' lengths and the resume record."""
        run = ticket.run
        if creating and run.results_href is not None:
            self.slots.created(self._in_use(self.clock()))
        if run.is_done and not was_done:
            self._finished_running(ticket)
        if run.results_href is not None and run.results_href != ticket.noted_href:
            ticket.noted_href = run.results_href
            ticket.on_created(ticket)

    def _finished_running(self, ticket: Ticket) -> None:
        run = ticket.run
        self.slots.run_finished()
        if run.attempt.started is None:  # pragma: no cover - a done run was started
            return
        took = self.clock() - run.attempt.started
        self._longest_run = max(took, self._longest_run or 0.0)  # orphans: err long
        # Done by now, and by its progress likely sooner (the poll came after its end).
        ended = min(took, run.projected_seconds or math.inf)
        self._shortest_run = min(ended, self._shortest_run or ended)

    def _refused(self, ticket: Ticket, full: RunSlotsTakenError) -> None:
        """A POST answered 429: lower the target, and wait before the next POST."""
        now = self.clock()
        ends = [
            t.run.attempt.started + t.run.projected_seconds - now
            for t in self._active()
            if t.run.is_running and t.run.attempt.started and t.run.projected_seconds
        ]
        wait = full.retry_after if full.retry_after is not None else min(ends, default=None)
        self.slots.refused(self._in_use(now), now, wait)
        ticket.run.due_at = self.slots.not_before
        LOGGER.debug("%s (%s); next POST in %.1f s", full, ticket.run.where, wait or 0.0)

    def _give_up_report(self, fault: ReportFailingError) -> None:
        """A fault charged to a report: each of its tickets still to be read fails with it."""
        LOGGER.warning("%s", fault)
        for ticket in self.plan.unread():
            if ticket.report == fault.report and ticket.failure is None:
                self._fail(ticket, fault)

    def _fail(self, ticket: Ticket, failure: PartitionError) -> None:
        if isinstance(failure, RunTransportGaveUpError | RunGaveUpError):  # its retries spent
            self.faults.gave_up(id(ticket), ticket.run.where)
        ticket.failure = failure
        if not ticket.claimed:  # raised when its stream reaches it; start no more of them
            self._failed.add(ticket.partition)
            if not failure.keeps_run:
                ticket.on_dropped(ticket)
            self._unwatch(ticket)  # its stream still reaches it, and raises the failure

    def _split(self, ticket: Ticket, late: RunDeadlineError) -> bool:
        """Re-create a late run as two smaller windows; False when it cannot be cut."""
        twin = ticket.split(str(late).split(": raise", maxsplit=1)[0] + ".")
        if twin is not None:
            self.plan.insert_after(ticket, twin)
        return twin is not None

    def _check_budget(self, claimed: Ticket) -> None:
        """Raise ``PartitionDeferredError`` when the claimed run will not be read in time."""
        if not self.budget.spent():
            return
        run = claimed.run
        if claimed.needs_slot and run.next_creates:
            claimed.on_dropped(claimed)  # a record it has is of an attempt never to be read
            raise PartitionDeferredError(parked=False)
        # A request waiting for its next try is not retried past the budget.
        if run.retries.pending or self.budget.grace_over(self._orphan_hold()):
            raise PartitionDeferredError(parked=True)

    def _next_due(self, claimed: Ticket, now: float) -> float:
        """What is next due after ``now``: a poll, a creation, a freed slot, the grace's end."""
        hold, active = self._orphan_hold(), self._active()
        polls = [t.run.due_at for t in active if t.wants_answer(reading=t is claimed)]
        waiting = [t for t in [claimed, *active] if t.needs_slot]
        creations = [max(t.run.due_at, self.slots.not_before) for t in waiting]
        orphans = [u for t in active for u in t.orphans_until(hold)]
        budget = self.budget.wake_times(hold)  # to defer, and to park what is still running
        due = [at for at in [*polls, *creations, *orphans, *self._holds, *budget] if at > now]
        return min(due, default=now + 1.0)  # never spin, though something is always due
