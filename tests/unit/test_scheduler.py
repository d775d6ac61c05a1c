"""The run scheduler against a fake API on a fake clock: the cap, the order, the polls.

The fake API runs each report for a given number of seconds and reports progress as
a whole percent rounded down, as the sandbox does; it counts what runs at once.
Property-based: any run lengths, any cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from tap_emailgistics.engine.run import ReportRun
from tap_emailgistics.engine.scheduler import RunScheduler
from tap_emailgistics.engine.tickets import Ticket
from tap_emailgistics.finality.periods import Window
from tap_emailgistics.values import Answer, PollPolicy, RunRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from tap_emailgistics.values import Sender

NOW = datetime(2026, 5, 1, tzinfo=UTC)
POLICY = PollPolicy(initial_seconds=2, max_seconds=30, jitter=0, deadline_seconds=3600)


@dataclass
class FakeApi:
    """Runs that take ``lengths[i]`` seconds; what ran when, and every request."""

    lengths: list[float]
    now: float = 0.0
    request_seconds: float = 0.0  # each request's round trip, on the fake clock
    started: dict[str, float] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def running(self, at: float) -> int:
        ends = {run: start + self.lengths[int(run)] for run, start in self.started.items()}
        return sum(1 for run, start in self.started.items() if start <= at < ends[run])

    def send(self, request: RunRequest, where: str | None = None) -> Answer:
        del where
        self.now += self.request_seconds
        if request.method == "POST":
            run = str(cast("dict[str, Any]", request.body)["run"])
            assert self.running(self.now) < 3, "the API would answer 429"
            self.started[run] = self.now
        else:
            run = str(request.href).rsplit("/", 1)[-1]
        self.log.append((request.method, run))
        elapsed, length = self.now - self.started[run], self.lengths[int(run)]
        done = elapsed >= length
        body: dict[str, Any] = {
            "_links": {"self": {"href": f"https://api/results/{run}", "method": "GET"}},
            "status": "done" if done else "running",
            "progress": 100 if done else math.floor(elapsed / length * 100),
            "result": {"data": [], "total": 0 if done else None, "timeZone": "UTC"},
        }
        return Answer(cast("requests.Response", None), body, NOW)


def planned(
    runs: int, cap: int, send: Sender, clock: Callable[[], float], sleep: Callable[[float], None]
) -> tuple[RunScheduler, list[Ticket]]:
    """A scheduler with ``runs`` one-window tickets, run ``i`` POSTing ``{"run": i}``."""
    scheduler = RunScheduler(cap, orphan_hold=30, clock=clock, sleep=sleep)
    day = NOW.replace(tzinfo=None)
    tickets = [
        Ticket(
            ("stream", "mailbox", "day"),
            Window(day, day),
            ReportRun(
                RunRequest("POST", body={"run": i}),
                f"run {i}",
                policy=POLICY,
                error_retries=0,
                clock=clock,
            ),
            send,
        )
        for i in range(runs)
    ]
    scheduler.add("stream", tickets)
    return scheduler, tickets


def plan(api: FakeApi, cap: int) -> tuple[RunScheduler, list[Ticket]]:
    return planned(len(api.lengths), cap, api.send, api.clock, api.sleep)


def read_all(api: FakeApi, scheduler: RunScheduler, tickets: list[Ticket]) -> None:
    """What the streams do: read each run in plan order, then hand it back."""
    del api  # the scheduler sends every request, through each ticket's sender
    for ticket in tickets:
        pages = ticket.run.pages(scheduler.until_ready)
        assert [page.rows for page in pages] == [[]]
        scheduler.finish(ticket.run)


lengths = st.lists(st.floats(min_value=0.5, max_value=120), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(lengths=lengths, cap=st.integers(min_value=1, max_value=3))
def test_given_any_run_lengths_when_scheduled_then_never_more_than_the_cap_run_at_once(
    lengths: list[float], cap: int
) -> None:
    api = FakeApi(lengths)
    scheduler, tickets = plan(api, cap)
    read_all(api, scheduler, tickets)
    assert scheduler.drained
    starts = sorted(api.started.values())
    assert max(api.running(at) for at in starts) <= cap
    # Progress rounded down never polls early: the floor's poll, then one at the end
    # (or one per capped wait on the way there).
    polls = [run for method, run in api.log if method == "GET"]
    for i, length in enumerate(lengths):
        assert polls.count(str(i)) <= 2 + length // POLICY.max_seconds


@settings(max_examples=30, deadline=None, derandomize=True)
@given(lengths=lengths)
def test_given_one_slot_when_scheduled_then_each_run_is_read_before_the_next_is_created(
    lengths: list[float],
) -> None:
    api = FakeApi(lengths)
    scheduler, tickets = plan(api, 1)
    read_all(api, scheduler, tickets)
    runs_in_order = [run for _, run in api.log]
    assert runs_in_order == sorted(runs_in_order, key=int)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(length=st.floats(min_value=3, max_value=30), runs=st.integers(min_value=3, max_value=12))
def test_given_equal_runs_when_three_slots_then_the_wall_time_nears_the_apis_floor(
    length: float, runs: int
) -> None:
    api = FakeApi([length] * runs)
    bound = wall_time_bound(api, runs, length)  # reads every run first
    assert api.now <= bound


def wall_time_bound(api: FakeApi, runs: int, length: float) -> float:
    """Read ``runs`` equal runs three at a time; the wall time they may take at most."""
    scheduler, tickets = plan(api, 3)
    read_all(api, scheduler, tickets)
    floor = math.ceil(runs / 3) * length
    on_the_wire = len(api.log) * api.request_seconds
    # Each run is noticed by its estimated end; whole-percent progress costs <= 1/progress.
    return floor * 1.2 + 2 * POLICY.initial_seconds + on_the_wire


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    length=st.floats(min_value=3, max_value=60),
    runs=st.integers(min_value=3, max_value=18),
    request_seconds=st.floats(min_value=0.01, max_value=0.5),
)
def test_given_requests_that_take_time_when_a_poll_falls_due_meanwhile_then_it_is_not_missed(
    length: float, runs: int, request_seconds: float
) -> None:
    # A poll that falls due while other requests are on the wire is sent as soon as
    # they are; it once waited for the next event, a whole run length later.
    api = FakeApi([length] * runs, request_seconds=request_seconds)
    bound = wall_time_bound(api, runs, length)  # reads every run first
    assert api.now <= bound
