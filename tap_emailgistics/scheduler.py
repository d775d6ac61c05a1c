"""Run ahead: keep up to ``max_concurrent_runs`` report runs going, in the order they are read.

The whole extraction plan is known before the first report run: every selected report
stream's partitions and windows (``ReportStream.plan``). Each window is a ``Ticket``,
in the order the SDK's streams will read them. A stream reads its runs one at a time
(``ReportRun.pages``); while it waits for one (``until_done``), the scheduler starts
the next tickets' runs and polls every run when its estimated end comes, so the
waiting overlaps. Records, STATE order and bookmarks stay the stream's, unchanged.

The cap counts every run the tap may have running: runs it created and has not seen
``done``, plus orphans (a POST that failed after it may have queued a run, which the
tap cannot see). An orphan holds its slot until the run that replaced it is done, or
for as long as the longest run of this sync took (``poll_max_seconds`` before any
finished), since by then it has most likely finished too. At most ``cap - 1`` runs are
started ahead of the one being read, so ``max_concurrent_runs: 1`` is the sequential
tap: one run created, polled and paged before the next is created.

Each run is polled when its progress says it ends (``PollPolicy.wait_for``); before it
shows any, the shortest run of this sync so far is the estimate, so most runs are
polled once, when they are done.

Single-threaded on purpose: all requests go out one after another through the one
pacer, signals land in the main thread, and a failure of a run started ahead is kept
on its ticket and raised when its stream reaches it, as if it had run in turn.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tap_emailgistics.report_run import RestartRunError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tap_emailgistics.report_run import ReportRun
    from tap_emailgistics.run_types import Answer, RunRequest
    from tap_emailgistics.windows import Window

#: (stream name, mailboxId, period): one partition of one report stream.
PartitionKey = tuple[str, str, str]


@dataclass(eq=False)
class Ticket:
    """One planned window: its run, who sends its requests, and what became of it."""

    partition: PartitionKey
    window: Window
    run: ReportRun
    send: Callable[[RunRequest], Answer]
    #: Called once the run's results link is known (the resume record in state).
    on_created: Callable[[Ticket], None] = field(default=lambda _ticket: None)
    started: bool = False
    claimed: bool = False
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


class RunScheduler:
    """Starts and polls planned runs within the cap; ``until_done`` is its one entry point."""

    def __init__(
        self,
        cap: int,
        *,
        orphan_hold: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """``cap``: the most runs this tap may have running at once.

        ``orphan_hold``: how long an orphan holds its slot before any run has finished.
        """
        self.cap, self.clock, self.sleep = cap, clock, sleep
        self._hold = orphan_hold
        self._longest_run: float | None = None
        self._shortest_run: float | None = None
        self._order: list[Ticket] = []
        self._by_partition: dict[PartitionKey, list[Ticket]] = {}
        self._by_run: dict[int, Ticket] = {}
        self._planned: set[str] = set()
        self._cursor = 0  # the first ticket never started
        self._live: list[Ticket] = []  # started, not yet finished
        self._halted = False  # a run started ahead failed: start nothing more ahead

    def is_planned(self, stream: str) -> bool:
        """Whether ``stream``'s tickets are in the plan."""
        return stream in self._planned

    def add(self, stream: str, tickets: Iterable[Ticket]) -> None:
        """Append one stream's tickets, in the order the stream will read them."""
        self._planned.add(stream)
        for ticket in tickets:
            self._order.append(ticket)
            self._by_partition.setdefault(ticket.partition, []).append(ticket)
            self._by_run[id(ticket.run)] = ticket

    @property
    def drained(self) -> bool:
        """Every planned run was read to the end."""
        return not self._by_run

    def tickets(self, partition: PartitionKey) -> list[Ticket]:
        """The planned windows of one partition, in order."""
        return self._by_partition.get(partition, [])

    def until_done(self, run: ReportRun) -> None:
        """Return once ``run`` has a ``done`` answer; meanwhile keep every run moving."""
        ticket = self._by_run[id(run)]
        ticket.claimed = True
        while True:
            self._act(ticket)
            if ticket.failure is not None:
                failure, ticket.failure = ticket.failure, None
                raise failure
            if run.is_done:
                return
            self.sleep(max(0.0, self._next_due(ticket) - self.clock()))

    def finish(self, run: ReportRun) -> None:
        """The stream has verified ``run``: it holds no slot and nothing of it is kept."""
        ticket = self._by_run.pop(id(run))
        ticket.finished = True
        run.release()

    def _active(self) -> list[Ticket]:
        self._live = [t for t in self._live if not t.finished]
        return self._live

    def _act(self, claimed: Ticket) -> None:
        """Send every request that is due now: polls first, then new runs within the cap."""
        now = self.clock()
        for ticket in self._active():
            if not ticket.needs_slot and not ticket.run.is_done and ticket.run.due_at <= now:
                self._step(ticket)
        for ticket in self._admissions(claimed):
            self._step(ticket)

    def _admissions(self, claimed: Ticket) -> Iterable[Ticket]:
        """Tickets that may create their run now: the claimed one first, then ahead."""
        while True:
            active = self._active()
            now, hold = self.clock(), self._orphan_hold()
            if sum(t.slots(now, hold) for t in active) >= self.cap:
                return
            candidate = self._candidate(claimed, active)
            if candidate is None:
                return
            yield candidate

    def _candidate(self, claimed: Ticket, active: list[Ticket]) -> Ticket | None:
        now = self.clock()
        if claimed.needs_slot:
            return self._start(claimed) if claimed.run.due_at <= now else None
        ahead = [t for t in active if t is not claimed and not t.claimed]
        for ticket in ahead:  # runs started ahead that must be created again
            if ticket.needs_slot and ticket.run.due_at <= now:
                return ticket
        if self._halted or len(ahead) >= self.cap - 1:
            return None
        while self._cursor < len(self._order) and self._order[self._cursor].started:
            self._cursor += 1
        if self._cursor >= len(self._order):
            return None
        return self._start(self._order[self._cursor])

    def _start(self, ticket: Ticket) -> Ticket:
        if not ticket.started:
            ticket.started = True
            self._live.append(ticket)
        return ticket

    def _orphan_hold(self) -> float:
        return self._hold if self._longest_run is None else self._longest_run

    def _step(self, ticket: Ticket) -> None:
        run = ticket.run
        was_done, run.expected_seconds = run.is_done, self._shortest_run
        try:
            run.step(ticket.send)
        except RestartRunError as restart:
            try:
                run.restart(restart)
            except Exception as gave_up:  # noqa: BLE001 - kept, raised when its turn comes
                self._fail(ticket, gave_up)
        except Exception as failure:  # noqa: BLE001 - kept, raised when its turn comes
            self._fail(ticket, failure)
        if run.is_done and not was_done and run.attempt.started is not None:
            took = self.clock() - run.attempt.started
            self._longest_run = max(took, self._longest_run or 0.0)  # orphans: err long
            # Done by now, and by its progress likely sooner (the poll came after its end).
            ended = min(took, run.projected_seconds or math.inf)
            self._shortest_run = min(ended, self._shortest_run or ended)
        if run.results_href is not None and run.results_href != ticket.noted_href:
            ticket.noted_href = run.results_href
            ticket.on_created(ticket)

    def _fail(self, ticket: Ticket, failure: Exception) -> None:
        ticket.failure = failure
        ticket.finished = not ticket.claimed
        if not ticket.claimed:
            self._halted = True

    def _next_due(self, claimed: Ticket) -> float:
        """When something is next due: a poll, a re-creation's wait, or a slot an orphan holds."""
        now, hold, active = self.clock(), self._orphan_hold(), self._active()
        polls = [t.run.due_at for t in active if not t.run.is_done and not t.needs_slot]
        waiting = [t for t in [claimed, *active] if t.needs_slot]
        creations = [t.run.due_at for t in waiting if t.run.due_at > now]
        orphans = [u for t in active for u in t.orphans_until(hold) if u > now]
        # Nothing due cannot happen while the claimed run waits; never spin if it does.
        return min([*polls, *creations, *orphans], default=now + 1.0)
