"""Finality maths: windows, bookmarks, cutoffs, UTC starts."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tap_emailgistics.windows import (
    RowClock,
    Window,
    bookmark_after,
    cut_windows,
    format_utc,
    parse_cutoff,
)

NEW_YORK = ZoneInfo("America/New_York")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("period", "window", "cutoff", "expected"),
    [
        # cutoff inside the window: the period containing it is the first provisional
        ("day", ("2026-04-01", "2026-05-02"), "2026-05-01T08:14:00.0", "2026-05-01"),
        ("hour", ("2026-04-30", "2026-05-02"), "2026-05-01T08:14:00.0", "2026-05-01T08:00"),
        ("week", ("2026-03-30", "2026-05-04"), "2026-05-01T08:14:00.0", "2026-04-27"),
        ("month", ("2026-01-01", "2026-06-01"), "2026-05-01T08:14:00.0", "2026-05-01"),
        # cutoff exactly at the end of the window: everything is final
        ("day", ("2026-04-01", "2026-05-01"), "2026-05-01T00:00:00.0", "2026-05-01"),
        # cutoff after the window: everything is final
        ("month", ("2026-01-01", "2026-05-01"), "2026-05-01T08:14:00.0", "2026-05-01"),
        # no cutoff: a historical result, final
        ("day", ("2026-01-01", "2026-02-01"), None, "2026-02-01"),
        # cutoff before the window (the window lies in the future): nothing is final
        ("day", ("2026-06-01", "2026-06-05"), "2026-05-01T08:14:00.0", "2026-06-01"),
    ],
)
def test_given_a_cutoff_when_a_window_completes_then_the_bookmark_is_the_first_open_period(
    period: str,
    window: tuple[str, str],
    cutoff: str | None,
    expected: str,
) -> None:
    result = bookmark_after(
        Window(at(window[0]), at(window[1])), period, NEW_YORK, parse_cutoff(cutoff, NEW_YORK)
    )
    assert result == at(expected)


def test_given_the_docs_cutoff_format_when_parsed_then_the_trailing_dot_zero_is_accepted() -> None:
    assert format_utc(parse_cutoff("2026-05-01T08:14:00.0", NEW_YORK)) == "2026-05-01T12:14:00Z"


def test_given_a_long_range_when_cut_then_windows_are_period_aligned_and_bounded() -> None:
    windows = cut_windows(at("2026-01-15T10:00"), at("2026-07-01"), "day", 92)
    assert windows[0].start == at("2026-01-15")
    assert windows[-1].end == at("2026-07-01")
    assert all((w.end - w.start).days <= 92 for w in windows)
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    months = cut_windows(at("2026-01-10"), at("2026-03-05"), "month", 1)
    assert [(w.start.month, w.end.month) for w in months] == [(1, 2), (2, 3), (3, 4)]
    assert Window(at("2026-01-01"), at("2026-05-01")).request_bounds() == (
        "2026-01-01T00:00:00",
        "2026-04-30T23:59:59",
    )


def test_given_a_repeated_dst_hour_when_rows_arrive_then_each_gets_its_own_utc_start() -> None:
    clock = RowClock(NEW_YORK, "hour")
    starts = [
        format_utc(clock.utc_start(t, d))
        for t, d in [
            ("2026-11-01T00:00:00", "a"),
            ("2026-11-01T01:00:00", "a"),
            ("2026-11-01T01:00:00", "b"),
            ("2026-11-01T01:00:00", "a"),
            ("2026-11-01T01:00:00", "b"),
            ("2026-11-01T02:00:00", "a"),
        ]
    ]
    assert starts == [
        "2026-11-01T04:00:00Z",
        "2026-11-01T05:00:00Z",
        "2026-11-01T05:00:00Z",
        "2026-11-01T06:00:00Z",
        "2026-11-01T06:00:00Z",
        "2026-11-01T07:00:00Z",
    ]


def test_given_dst_days_when_judging_finality_then_the_25_hour_day_ends_at_local_midnight() -> None:
    clock = RowClock(NEW_YORK, "day")
    start = clock.utc_start("2026-11-01T00:00:00", None)
    assert not clock.is_final(start, parse_cutoff("2026-11-01T23:59:00.0", NEW_YORK))
    assert clock.is_final(start, parse_cutoff("2026-11-02T00:00:00.0", NEW_YORK))
    assert clock.is_final(start, None)
