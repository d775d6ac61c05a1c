"""Sharing the account: the slot target after 429s, on a fake clock with a neighbour.

The fake API has the account's cap of 3 running runs; a neighbour keeps two of them
busy (renewing each as it ends, after a short gap), so the tap gets one. The tap must
finish every run, never run more than the cap, and draw few 429s: not one per run.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from tap_emailgistics.engine.slots import SlotTarget
from tap_emailgistics.errors import RunSlotsTakenError
from tap_emailgistics.sync.ledger import SyncLedger
from tap_emailgistics.sync.progress import Heartbeat
from tap_emailgistics.values import Answer, PollPolicy, RunRequest

from .test_scheduler import planned

if TYPE_CHECKING:
    import pytest
    import requests

    from tap_emailgistics.engine.scheduler import RunScheduler

NOW = datetime(2026, 5, 1, tzinfo=UTC)
POLICY = PollPolicy(initial_seconds=0.5, max_seconds=30, jitter=0, deadline_seconds=3600)
CAP = 3


@dataclass
class SharedApi:
    """Runs of ``length`` seconds on an account of 3 slots, 2 kept busy by a neighbour."""

    length: float
    neighbour_runs: int
    neighbour_gap: float
    now: float = 0.0
    started: dict[str, float] = field(default_factory=dict)
    neighbour: list[float] = field(default_factory=list)  # when each neighbour run ends
    log: list[tuple[str, int]] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def _neighbour_now(self) -> int:
        # Each neighbour run is renewed ``neighbour_gap`` s after it ends.
        renewed = []
        for ended in self.neighbour:
            end = ended
            while end + self.neighbour_gap <= self.now:
                end += self.neighbour_gap + self.length
            renewed.append(end)
        self.neighbour = renewed
        return sum(1 for end in renewed if end - self.length <= self.now < end)

    def running(self) -> int:
        mine = sum(1 for at in self.started.values() if at <= self.now < at + self.length)
        return mine + self._neighbour_now()

    def send(self, request: RunRequest, where: str | None = None) -> Answer:
        del where
        if request.method == "POST":
            run = str(cast("dict[str, Any]", request.body)["run"])
            if self.running() >= CAP:
                self.log.append(("POST", 429))
                ends = [
                    at + self.length for at in self.started.values() if at + self.length > self.now
                ]
                ends += [end for end in self.neighbour if end > self.now]
                refused = "HTTP 429 on POST /api/v1/reports/x: Rate limit exceeded."
                raise RunSlotsTakenError(refused, math.ceil(min(ends) - self.now))
            self.started[run] = self.now
            self.log.append(("POST", 200))
        else:
            run = str(request.href).rsplit("/", 1)[-1]
            self.log.append(("GET", 200))
        assert self.running() <= CAP
        elapsed = self.now - self.started[run]
        done = elapsed >= self.length
        body: dict[str, Any] = {
            "_links": {"self": {"href": f"https://api/results/{run}", "method": "GET"}},
            "status": "done" if done else "running",
            "progress": 100 if done else math.floor(elapsed / self.length * 100),
            "result": {"data": [], "total": 0 if done else None, "timeZone": "UTC"},
        }
        return Answer(cast("requests.Response", None), body, NOW)


def sync(api: SharedApi, runs: int) -> RunScheduler:
    scheduler, tickets = planned(runs, CAP, api.send, api.clock, api.sleep)
    for ticket in tickets:
        assert [page.rows for page in ticket.run.pages(scheduler.until_ready)] == [[]]
        scheduler.finish(ticket.run)
    return scheduler


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    length=st.floats(min_value=1, max_value=20),
    runs=st.integers(min_value=20, max_value=60),
    gap=st.floats(min_value=0.05, max_value=1.0),
)
def test_given_a_neighbour_on_two_slots_when_synced_then_every_run_and_few_429s(
    length: float, runs: int, gap: float
) -> None:
    api = SharedApi(length, neighbour_runs=2, neighbour_gap=gap, neighbour=[length, length])
    scheduler = sync(api, runs)
    assert scheduler.drained
    refused = sum(1 for method, status in api.log if method == "POST" and status == 429)
    assert refused <= 10 + runs // 8, api.log  # the target rises less often after each 429
    assert len(api.started) == runs


@settings(max_examples=15, deadline=None, derandomize=True)
@given(length=st.floats(min_value=1, max_value=20), runs=st.integers(min_value=15, max_value=40))
def test_given_a_neighbour_that_leaves_when_synced_then_the_tap_is_back_to_three_at_once(
    length: float, runs: int
) -> None:
    # The neighbour's two runs end with the tap's first, and are never renewed.
    api = SharedApi(length, neighbour_runs=2, neighbour_gap=10**9, neighbour=[length, length])
    sync(api, runs)
    starts = sorted(api.started.values())
    later = starts[6:]  # a few of its own runs after the neighbour left
    most = max(sum(1 for s in starts if s <= at < s + length) for at in later)
    assert most == CAP


def test_given_a_429_with_retry_after_when_refused_then_no_post_before_it() -> None:
    target = SlotTarget(3)
    target.refused(running=1, now=100.0, wait=7.0)
    assert target.target == 1
    assert not target.may_create(0, 106.9)
    assert target.may_create(0, 107.0)
    assert not target.may_create(1, 107.0)


def test_given_a_429_without_any_hint_when_refused_then_the_rate_limit_wait() -> None:
    target = SlotTarget(3, fallback_wait=60.0)
    target.refused(running=0, now=0.0, wait=None)
    assert target.target == 1  # at least one, or the tap would never try again
    assert not target.may_create(0, 59.0)
    assert target.may_create(0, 60.0)


def test_given_own_runs_finishing_when_the_target_was_lowered_then_it_rises_to_the_cap() -> None:
    target = SlotTarget(3)
    target.refused(running=1, now=0.0, wait=5.0)
    target.run_finished()
    assert target.not_before == 0.0  # its own slot freed: no need to wait any more
    assert target.target == 2
    target.created(running=2)  # the raised target held
    target.run_finished()
    assert target.target == 3


def test_given_runs_waiting_when_the_heartbeat_is_asked_often_then_one_line_per_30_s(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    ledger = SyncLedger()
    for mailbox in ("a", "b", "c", "d"):
        ledger.plan(("mailbox_performance", mailbox, "day"))
    heartbeat = Heartbeat(ledger, lambda: 3, clock=lambda: now[0])
    with caplog.at_level(logging.INFO):
        for second in range(0, 95, 5):  # asked every 5 s while the streams wait
            now[0] = float(second)
            if second == 40:
                ledger.verified(("mailbox_performance", "a", "day"))
            heartbeat.beat()
    assert caplog.messages == [
        "Sync progress: 0 of 4 partitions done, 3 runs in flight",  # no guess at time left
        "Sync progress: 1 of 4 partitions done, 3 runs in flight, about 3.0 min left",
        "Sync progress: 1 of 4 partitions done, 3 runs in flight, about 4.5 min left",
    ]


def test_given_a_full_account_when_posts_keep_being_refused_then_each_wait_doubles() -> None:
    target = SlotTarget(3)
    waits = []
    for _ in range(5):
        now = target.not_before
        target.refused(running=0, now=now, wait=5.0)
        waits.append(target.not_before - now)
    assert waits == [5.0, 10.0, 20.0, 40.0, 40.0]  # at most 8 times the first
    target.created(running=1)  # a POST answered with a run: the account has room again
    target.refused(running=1, now=1000.0, wait=5.0)
    assert target.not_before == 1005.0
