"""Watermark rows from a verified partition: conservative in DST, counted in periods."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tap_emailgistics.finality.by_period import ByPeriod
from tap_emailgistics.finality.periods import (
    PERIODS,
    Window,
    floor_period,
    next_period,
    periods_between,
)
from tap_emailgistics.finality.watermarks import VerifiedPartition

NEW_YORK = ZoneInfo("America/New_York")


def partition(final_through: datetime, cutoff: str | None = None) -> VerifiedPartition:
    last_window = Window(datetime(2026, 11, 1, 0), datetime(2026, 11, 1, 4))
    return VerifiedPartition(
        stream="mailbox_performance",
        mailbox_id="m",
        period="hour",
        zone=NEW_YORK,
        watermark=ByPeriod().watermark(final_through, last_window, "hour", NEW_YORK),
        cutoff=cutoff,
        api_now=datetime(2026, 11, 1, 7, 30, tzinfo=UTC),
        verified_at=datetime(2026, 11, 1, 7, 31, tzinfo=UTC),
    )


def test_given_a_bookmark_in_the_repeated_hour_when_a_row_is_made_then_the_earlier_instant() -> (
    None
):
    row = partition(datetime(2026, 11, 1, 1), cutoff="2026-11-01T01:20:00.0").row()
    # 01:00 occurs at 05:00Z (EDT) and 06:00Z (EST): the state cannot tell them apart,
    # so the watermark claims the earlier, which is less finality, never more.
    assert row["finalThroughLocal"] == "2026-11-01T01:00:00"
    assert row["finalThroughUtc"] == "2026-11-01T05:00:00Z"
    assert row["provisionalPeriods"] == 4  # 01:00 twice (EDT, EST), 02:00, 03:00
    assert row["dataCutoffTimestampUtc"] == "2026-11-01T06:20:00Z"  # the latest <= API now
    assert row["apiNowUtc"] == "2026-11-01T07:30:00Z"


@settings(max_examples=50, deadline=None, derandomize=True)
@given(
    period=st.sampled_from(PERIODS),
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    count=st.integers(min_value=0, max_value=40),
)
def test_given_n_periods_when_counted_then_n(period: str, start: datetime, count: int) -> None:
    first = floor_period(start, period)
    end = first
    for _ in range(count):
        end = next_period(end, period)
    assert periods_between(first, end, period, ZoneInfo("UTC")) == count
