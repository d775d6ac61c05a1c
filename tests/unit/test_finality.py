"""Finality maths: windows, bookmarks, cutoffs, the API's now, UTC starts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tap_emailgistics.finality.periods import Window, cut_windows, format_utc
from tap_emailgistics.finality.rules import (
    RowKeys,
    bookmark_after,
    final_until,
    is_final,
    parse_cutoff,
)

NEW_YORK = ZoneInfo("America/New_York")
FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)


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
    until = final_until(parse_cutoff(cutoff, NEW_YORK, FAR_FUTURE), FAR_FUTURE)
    result = bookmark_after(Window(at(window[0]), at(window[1])), period, NEW_YORK, until)
    assert result == at(expected)


def test_given_no_cutoff_when_the_window_reaches_past_the_apis_now_then_it_is_not_final() -> None:
    api_now = datetime(2026, 4, 15, 14, tzinfo=UTC)
    until = final_until(None, api_now)
    window = Window(at("2026-01-01"), at("2026-05-01"))
    assert bookmark_after(window, "month", NEW_YORK, until) == at("2026-04-01")
    cutoff_later = final_until(parse_cutoff("2026-06-01T00:00:00.0", NEW_YORK, api_now), api_now)
    assert cutoff_later == api_now


def test_given_the_docs_cutoff_format_when_parsed_then_the_trailing_dot_zero_is_accepted() -> None:
    assert (
        format_utc(parse_cutoff("2026-05-01T08:14:00.0", NEW_YORK, FAR_FUTURE))
        == "2026-05-01T12:14:00Z"
    )


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


def utc_starts(keys: RowKeys, rows: list[tuple[str, str | None]]) -> list[str]:
    return [format_utc(keys.utc_start(at(t), d)) for t, d in rows]


def test_given_a_repeated_dst_hour_when_dense_rows_arrive_then_each_gets_its_own_start() -> None:
    rows = [
        ("2026-11-01T00:00:00", "a"),
        ("2026-11-01T01:00:00", "a"),
        ("2026-11-01T01:00:00", "b"),
        ("2026-11-01T01:00:00", "a"),
        ("2026-11-01T01:00:00", "b"),
        ("2026-11-01T02:00:00", "a"),
    ]
    assert utc_starts(RowKeys(NEW_YORK), rows) == [
        "2026-11-01T04:00:00Z",
        "2026-11-01T05:00:00Z",
        "2026-11-01T05:00:00Z",
        "2026-11-01T06:00:00Z",
        "2026-11-01T06:00:00Z",
        "2026-11-01T07:00:00Z",
    ]


def test_given_a_value_only_in_the_second_repeated_hour_when_ordered_then_it_is_0600z() -> None:
    # "contoso" sorts before "wingtip": the order going back starts the second 01:00.
    rows = [("2026-11-01T01:00:00", "wingtip"), ("2026-11-01T01:00:00", "contoso")]
    assert utc_starts(RowKeys(NEW_YORK, str.casefold), rows) == [
        "2026-11-01T05:00:00Z",
        "2026-11-01T06:00:00Z",
    ]
    # Without a declared order only a repeated value tells, so both read as the first.
    assert utc_starts(RowKeys(NEW_YORK), rows) == ["2026-11-01T05:00:00Z"] * 2


def test_given_a_repeat_outside_a_dst_hour_when_read_then_it_is_refused() -> None:
    keys = RowKeys(NEW_YORK)
    keys.utc_start(at("2026-05-01T10:00:00"), "a")
    with pytest.raises(ValueError, match="appears more often"):
        keys.utc_start(at("2026-05-01T10:00:00"), "a")


def test_given_dst_days_when_judging_finality_then_the_25_hour_day_ends_at_local_midnight() -> None:
    start = RowKeys(NEW_YORK).utc_start(at("2026-11-01T00:00:00"), None)

    def final(cutoff: str) -> bool:
        return is_final(
            start,
            "day",
            NEW_YORK,
            final_until(parse_cutoff(cutoff, NEW_YORK, FAR_FUTURE), FAR_FUTURE),
        )

    assert not final("2026-11-01T23:59:00.0")
    assert final("2026-11-02T00:00:00.0")
    assert is_final(start, "day", NEW_YORK, final_until(None, FAR_FUTURE))


def test_given_a_cutoff_in_the_repeated_hour_when_read_then_the_apis_now_picks_the_occurrence() -> (
    None
):
    cutoff = "2026-11-01T01:05:00.0"  # New York: 05:05Z (EDT) or 06:05Z (EST)
    second = datetime(2026, 11, 1, 6, 20, tzinfo=UTC)
    first = datetime(2026, 11, 1, 5, 20, tzinfo=UTC)
    assert format_utc(parse_cutoff(cutoff, NEW_YORK, second)) == "2026-11-01T06:05:00Z"
    assert format_utc(parse_cutoff(cutoff, NEW_YORK, first)) == "2026-11-01T05:05:00Z"
