"""The pacer and the poll policy, with the injected clocks they accept."""

from __future__ import annotations

import random

import pytest

from tap_emailgistics.transport.pacing import RequestPacer
from tap_emailgistics.values import PollPolicy


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_given_a_full_minute_when_one_more_request_then_it_waits_for_the_oldest_to_age_out() -> (
    None
):
    clock = FakeClock()
    pacer = RequestPacer(3, clock=clock, sleep=clock.sleep)
    for moment in (0.0, 10.0, 20.0):
        clock.now = moment
        assert pacer.wait_for_slot() == 0
    clock.now = 30.0
    assert pacer.wait_for_slot() == 30.0  # the request at 0 s leaves the window at 60 s
    assert clock.now == 60.0
    clock.now = 70.0
    assert pacer.wait_for_slot() == 0  # the one at 10 s has aged out


def test_given_a_sliding_minute_when_many_requests_then_never_more_than_the_limit_in_60_s() -> None:
    clock = FakeClock()
    pacer = RequestPacer(5, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(23):
        pacer.wait_for_slot()
        sent.append(clock.now)
        clock.now += 1.0
    assert all(sum(1 for t in sent if start <= t < start + 60) <= 5 for start in sent)


def test_given_the_poll_policy_when_waiting_then_doubling_from_the_floor_to_the_cap() -> None:
    policy = PollPolicy(initial_seconds=2, max_seconds=30, jitter=0)
    rng = random.Random(1)  # noqa: S311 - jitter dice
    assert [policy.wait(n, rng) for n in range(6)] == [2, 4, 8, 16, 30, 30]


def test_given_jitter_when_waiting_then_never_below_the_base_nor_above_base_times_1_plus_j() -> (
    None
):
    policy = PollPolicy(initial_seconds=2, max_seconds=30, jitter=0.2)
    rng = random.Random(7)  # noqa: S311 - jitter dice
    for poll in range(8):
        base = min(30, 2 * 2**poll)
        assert base <= policy.wait(poll, rng) <= base * 1.2


def test_given_a_run_at_80_percent_after_16_s_when_polling_then_the_wait_is_its_4_s_left() -> None:
    # Measured before: "Report run at 80%, about 4 s left; next poll in 16.1 s".
    policy = PollPolicy(initial_seconds=2, max_seconds=30, jitter=0)
    rng = random.Random(1)  # noqa: S311 - jitter dice
    assert policy.wait_for(80, 16.0, 3, rng) == 4.0


@pytest.mark.parametrize(
    ("progress", "elapsed", "expected"),
    [
        (99, 10.0, 2.0),  # about 0.1 s left: never below the floor
        (1, 10.0, 30.0),  # about 990 s left: never above the cap
        (0, 10.0, 8.0),  # no progress yet: doubling (poll 2: 2 s x 2 x 2)
        (None, 10.0, 8.0),
        (100, 10.0, 8.0),  # "running" at 100 %: nothing to estimate from
    ],
)
def test_given_progress_when_polling_then_the_estimate_within_the_floor_and_the_cap(
    progress: int | None, elapsed: float, expected: float
) -> None:
    policy = PollPolicy(initial_seconds=2, max_seconds=30, jitter=0)
    assert policy.wait_for(progress, elapsed, 2, random.Random(1)) == expected  # noqa: S311


def test_given_a_get_answered_429_when_paced_then_every_request_pauses_and_the_pace_drops() -> None:
    clock = FakeClock()
    pacer = RequestPacer(80, clock=clock, sleep=clock.sleep)
    pacer.wait_for_slot()
    pacer.rate_limited(retry_after=7.0)
    assert pacer.pace == 60
    assert pacer.wait_for_slot() == 7.0  # nothing goes out before Retry-After
    pacer.rate_limited(retry_after=None)  # no hint: the rate-limit wait
    assert pacer.pace == 45
    assert pacer.wait_for_slot() == 60.0


def test_given_a_lowered_pace_when_no_more_429s_then_it_recovers_gradually_to_the_setting() -> None:
    clock = FakeClock()
    pacer = RequestPacer(90, clock=clock, sleep=clock.sleep)
    pacer.rate_limited(retry_after=0.0)
    assert pacer.pace == 67
    clock.now += 30.0
    pacer.wait_for_slot()
    assert pacer.pace == 73  # two a minute more for every 10 s without a 429
    clock.now += 600.0
    pacer.wait_for_slot()
    assert pacer.pace == 90  # never above the setting


def test_given_a_lowered_pace_when_a_minute_is_full_then_it_keeps_to_the_lower_pace() -> None:
    clock = FakeClock()
    pacer = RequestPacer(40, clock=clock, sleep=clock.sleep)
    pacer.rate_limited(retry_after=0.0)  # 30 a minute now
    sent = []
    for _ in range(45):
        pacer.wait_for_slot()
        sent.append(clock.now)
    assert all(sum(1 for t in sent if start <= t < start + 60) <= 30 for start in sent[:20])


def test_given_a_previous_syncs_last_minute_when_preloaded_then_the_next_sync_waits_for_it() -> (
    None
):
    before, after = FakeClock(), FakeClock()
    first = RequestPacer(5, clock=before, sleep=before.sleep)
    for _ in range(5):
        first.wait_for_slot()
        before.now += 2.0  # five requests over the last 10 s
    recent = first.recent(wall=1_000_000.0)
    assert sum(recent["per_second"]) == 5
    assert recent["until"] == "1970-01-12T13:46:40Z"
    second = RequestPacer(5, clock=after, sleep=after.sleep)
    second.preload(recent, wall=1_000_003.0)  # started 3 s after the first ended
    # The oldest of the five was sent 10 s before the first ended: it leaves the minute
    # 60 - 10 - 3 = 47 s from now (to the second).
    assert 46.0 <= second.wait_for_slot() <= 48.0


@pytest.mark.parametrize(
    "recent", [None, "text", {"until": "yesterday", "per_second": [1]}, {"per_second": [1]}, {}]
)
def test_given_an_unreadable_record_of_the_last_minute_when_preloaded_then_it_is_ignored(
    recent: object,
) -> None:
    clock = FakeClock()
    pacer = RequestPacer(1, clock=clock, sleep=clock.sleep)
    pacer.preload(recent, wall=1_000_000.0)
    assert pacer.wait_for_slot() == 0
