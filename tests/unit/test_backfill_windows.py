"""Windows sized by rows, split when late, and the order partitions wait in (pure functions)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tap_emailgistics.finality.periods import (
    PERIODS,
    Window,
    ceil_period,
    cut_windows,
    floor_period,
    next_period,
    split_window,
)
from tap_emailgistics.finality.priority import partition_key, stream_order

LOCAL = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31))


def count_periods(window: Window, period: str) -> int:
    count, cursor = 0, window.start
    while cursor < window.end:
        count, cursor = count + 1, next_period(cursor, period)
    return count


@settings(deadline=None)
@given(
    start=LOCAL,
    days=st.integers(1, 900),
    period=st.sampled_from(PERIODS),
    max_periods=st.one_of(st.integers(1, 400), st.just(10**9)),
)
def test_given_a_row_budget_when_cut_then_windows_tile_the_range_with_at_most_that_many_periods(
    start: datetime, days: int, period: str, max_periods: int
) -> None:
    end = start + timedelta(days=days)
    windows = cut_windows(start, end, period, max_periods)
    assert windows[0].start == floor_period(start, period)
    assert windows[-1].end == ceil_period(end, period)
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    assert all(1 <= count_periods(w, period) <= max_periods for w in windows)
    # Only the last window may be short: no more runs than the row budget needs.
    assert all(count_periods(w, period) == max_periods for w in windows[:-1])


def test_given_300_days_and_a_budget_of_a_year_when_cut_then_one_window() -> None:
    start = datetime(2025, 7, 5)
    [window] = cut_windows(start, start + timedelta(days=300), "day", 25000 // 11)
    assert window == Window(start, start + timedelta(days=300))


def test_given_window_days_when_cut_by_rows_too_then_the_smaller_wins() -> None:
    start = datetime(2026, 1, 1)
    windows = cut_windows(start, start + timedelta(days=30), "day", 1000, max_days=7)
    assert [w.end - w.start for w in windows] == [timedelta(days=7)] * 4 + [timedelta(days=2)]


@given(start=LOCAL, days=st.integers(0, 900), period=st.sampled_from(PERIODS))
def test_given_a_late_window_when_split_then_two_halves_on_boundaries_or_none_for_one_period(
    start: datetime, days: int, period: str
) -> None:
    window = cut_windows(start, start + timedelta(days=days, hours=1), period, 10**9)[0]
    halves = split_window(window, period)
    if count_periods(window, period) == 1:
        assert halves is None
        return
    assert halves is not None
    first, second = halves
    assert (first.start, first.end, second.end) == (window.start, second.start, window.end)
    assert floor_period(first.end, period) == first.end
    assert abs(count_periods(first, period) - count_periods(second, period)) <= 1


def test_given_bookmarks_when_keyed_then_the_oldest_then_the_least_recently_verified_first() -> (
    None
):
    keys = [
        partition_key({"provisional_from": "2026-05-01T00:00:00", "verified_at": "b"}, "S"),
        partition_key({"provisional_from": "2026-04-01T00:00:00", "verified_at": "z"}, "S"),
        partition_key({"provisional_from": "2026-05-01T00:00:00", "verified_at": "a"}, "S"),
        partition_key(None, "2026-01-01T00:00:00"),
    ]
    assert sorted(keys) == [keys[3], keys[1], keys[2], keys[0]]


def _partition(mailbox: str, bookmark: str, verified: str) -> dict[str, object]:
    return {
        "context": {"mailboxId": mailbox, "period": "day"},
        "provisional_from": bookmark,
        "verified_at": verified,
    }


def test_given_a_stream_cut_short_when_ordered_then_it_and_unsynced_streams_go_first() -> None:
    state = {
        "bookmarks": {
            "a_performance": {
                "partitions": [
                    _partition("m1", "2026-05-02T00:00:00", "2026-05-02T10:00:00Z"),
                    _partition("m2", "2026-05-02T00:00:00", "2026-05-02T10:01:00Z"),
                ]
            },
            # The budget ended in b: m2 was deferred, its bookmark a day older.
            "b_performance": {
                "partitions": [
                    _partition("m1", "2026-05-02T00:00:00", "2026-05-02T10:02:00Z"),
                    _partition("m2", "2026-05-01T00:00:00", "2026-05-01T10:00:00Z"),
                ]
            },
            # c has never run for m2 (a new mailbox, or deferred from the start).
            "c_performance": {
                "partitions": [_partition("m1", "2026-05-02T00:00:00", "2026-05-01T09:00:00Z")]
            },
        }
    }
    names = ("a_performance", "b_performance", "c_performance")
    streams = dict.fromkeys(names, ("period", ("day",)))
    order = stream_order(streams, state, "2026-01-01T00:00:00")
    assert order == ["c_performance", "b_performance", "a_performance"]
    assert stream_order(streams, {}, "2026-01-01T00:00:00") == list(streams)
