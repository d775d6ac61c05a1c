"""Property-based tests of the finality maths: zones, DST edges, period boundaries."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from tap_emailgistics.finality.periods import (
    Window,
    ceil_period,
    cut_windows,
    floor_period,
    next_period,
    period_end_utc,
    to_utc,
)
from tap_emailgistics.finality.rules import RowKeys, bookmark_after, is_final

# Zones whose DST changes are not at midnight (as the sandbox's mailboxes), both hemispheres.
ZONES = st.sampled_from(
    [
        "America/New_York",
        "America/Los_Angeles",
        "Europe/London",
        "Europe/Berlin",
        "Australia/Sydney",
        "Asia/Kolkata",
        "UTC",
    ]
).map(ZoneInfo)
PERIODS = st.sampled_from(["hour", "day", "week", "month"])
#: Local wall-clock times around 2025-2027, minute resolution.
LOCAL_TIMES = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda t: t.replace(second=0, microsecond=0)
)


def periods_of(window: Window, period: str, zone: ZoneInfo) -> list[datetime]:
    """UTC starts of the periods in ``window``, stepping in UTC (repeated hours twice)."""
    instant, stop, starts = to_utc(window.start, zone), to_utc(window.end, zone), []
    while instant < stop:
        starts.append(instant)
        instant = period_end_utc(instant, period, zone)
    return starts


@given(zone=ZONES, period=PERIODS, start=LOCAL_TIMES, span=st.integers(1, 40))
def test_given_any_window_when_cut_then_windows_tile_the_range_on_period_boundaries(
    zone: ZoneInfo, period: str, start: datetime, span: int
) -> None:
    del zone
    end = start + timedelta(days=span)
    windows = cut_windows(start, end, period, 10**6, max_days=7)
    assert windows[0].start == floor_period(start, period)
    assert windows[-1].end == ceil_period(end, period)
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))
    for window in windows:
        assert floor_period(window.start, period) == window.start
        assert floor_period(window.end, period) == window.end
        longest = max(timedelta(days=7), next_period(window.start, period) - window.start)
        assert window.end - window.start <= longest


@given(
    zone=ZONES,
    period=PERIODS,
    start=LOCAL_TIMES,
    length=st.integers(1, 6),
    until_offset=st.integers(-3 * 24 * 60, 200 * 24 * 60),
)
def test_given_any_cutoff_when_a_window_completes_then_the_bookmark_splits_final_from_not(
    zone: ZoneInfo, period: str, start: datetime, length: int, until_offset: int
) -> None:
    first = floor_period(start, period)
    last = first
    for _ in range(length):
        last = next_period(last, period)
    window = Window(first, last)
    until = to_utc(first, zone) + timedelta(minutes=until_offset)
    bookmark = bookmark_after(window, period, zone, until)
    assert window.start <= bookmark <= window.end
    for instant in periods_of(window, period, zone):
        local = instant.astimezone(zone).replace(tzinfo=None)
        final = is_final(instant, period, zone, until)
        if local < bookmark:
            assert final  # the bookmark never passes a provisional period
        elif local == bookmark and bookmark < window.end and instant.astimezone(zone).fold == 0:
            assert not final  # ...and stops at the first one


@st.composite
def repeated_hour_rows(draw: st.DrawFn) -> tuple[ZoneInfo, list[tuple[datetime, str, datetime]]]:
    """Sparse, sorted domain rows around a fall-back hour: (local start, domain, true UTC)."""
    zone = draw(st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney"]))
    tz = ZoneInfo(zone)
    second = {
        "America/New_York": datetime(2026, 11, 1, 6, tzinfo=UTC),
        "Europe/London": datetime(2026, 10, 25, 1, tzinfo=UTC),
        "Australia/Sydney": datetime(2026, 4, 4, 16, tzinfo=UTC),
    }[zone]
    domains = ["a.com", "b.com", "c.com", "d.com"]
    rows: list[tuple[datetime, str, datetime]] = []
    for instant in (second - timedelta(hours=2), second - timedelta(hours=1), second):
        active = draw(st.lists(st.sampled_from(domains), unique=True, max_size=4))
        local = instant.astimezone(tz).replace(tzinfo=None)
        rows.extend((local, domain, instant) for domain in sorted(active))
    return tz, rows


@given(repeated_hour_rows())
def test_given_sparse_sorted_rows_in_a_repeated_hour_when_keyed_then_order_decides(
    case: tuple[ZoneInfo, list[tuple[datetime, str, datetime]]],
) -> None:
    zone, rows = case
    keys = RowKeys(zone, str.casefold)
    got = [keys.utc_start(local, domain) for local, domain, _ in rows]
    assert got == sorted(got)  # never out of order
    first_hour = [d for _, d, t in rows if t.astimezone(zone).fold == 0 and _repeats(t, zone)]
    second_hour = [d for _, d, t in rows if t.astimezone(zone).fold == 1]
    distinguishable = not first_hour or not second_hour or second_hour[0] <= first_hour[-1]
    if distinguishable and first_hour:
        assert got == [t for _, _, t in rows]
    for (_, _, truth), key in zip(rows, got, strict=True):
        if not _repeats(truth, zone):
            assert key == truth  # hours that occur once are always keyed exactly


def _repeats(instant: datetime, zone: ZoneInfo) -> bool:
    local = instant.astimezone(zone).replace(tzinfo=None)
    return (
        local.replace(tzinfo=zone, fold=0).utcoffset()
        != local.replace(tzinfo=zone, fold=1).utcoffset()
    )
