"""Report periods: bucket boundaries in a mailbox's own time zone.

The API reads ``start``/``end`` as wall-clock values in the mailbox zone and buckets
activity by local periods. Stances from the API file: weeks start on Monday, hourly
buckets follow local wall-clock hours (a DST fall-back hour appears twice, in order,
and a skipped spring-forward hour does not appear), and every bucket in the range is
returned even without activity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

PERIODS = ("hour", "day", "week", "month")
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Bucket:
    """One report period: its local label and its exact UTC extent."""

    local_start: datetime  # naive wall-clock time in the mailbox zone
    utc_start: datetime
    utc_end: datetime


def floor_local(value: datetime, period: str) -> datetime:
    """Return the start of the period containing the naive local ``value``."""
    if period == "hour":
        return value.replace(minute=0, second=0, microsecond=0)
    day = value.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    msg = f"unknown period {period!r}"
    raise ValueError(msg)


def next_local(start: datetime, period: str) -> datetime:
    """Return the start of the period after the one starting at ``start``."""
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        year, month = divmod(start.month, 12)
        return start.replace(year=start.year + year, month=month + 1)
    msg = f"next_local does not handle {period!r}: hours are stepped in UTC"
    raise ValueError(msg)


def to_utc(local: datetime, zone: ZoneInfo, fold: int = 0) -> datetime:
    """Convert a naive wall-clock time to UTC (``fold`` picks a repeated time's occurrence)."""
    return local.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def buckets(zone: ZoneInfo, period: str, start: datetime, end: datetime) -> list[Bucket]:
    """Buckets from the period containing ``start`` to the one containing ``end``.

    ``start`` and ``end`` are naive local times. An ``end`` exactly on a period
    boundary is exclusive, as in the documentation's examples (00:00 to 00:00 the
    next day is 24 hourly rows; Jan 1 to May 1 is four monthly rows).
    """
    first = floor_local(start, period)
    last = floor_local(end, period)
    if last == end and end > start:
        last = floor_local(end - timedelta(seconds=1), period)
    if period == "hour":
        return _hour_buckets(zone, first, last)
    result: list[Bucket] = []
    current = first
    while current <= last:
        following = next_local(current, period)
        result.append(Bucket(current, to_utc(current, zone), to_utc(following, zone)))
        current = following
    return result


def _hour_buckets(zone: ZoneInfo, first: datetime, last: datetime) -> list[Bucket]:
    # Step in UTC so that a repeated fall-back hour yields two buckets and a skipped
    # spring-forward hour none; the local label is read back from each instant.
    result: list[Bucket] = []
    instant = to_utc(first, zone)
    while True:
        local = instant.astimezone(zone).replace(tzinfo=None)
        if local > last:
            return result
        result.append(Bucket(local, instant, instant + HOUR))
        instant += HOUR


def containing_period_end(
    zone: ZoneInfo, period: str, local: datetime, *, ambiguous: str = "last"
) -> datetime:
    """UTC end of the period that literally contains the naive local time ``local``.

    A ``local`` inside a repeated hour is read as its ``ambiguous`` ("first" or
    "last") occurrence; "last" matches the buckets, which include both occurrences.
    """
    start = floor_local(local, period)
    fold = 1 if ambiguous == "last" else 0
    if period == "hour":
        return to_utc(start, zone, fold) + HOUR
    return to_utc(next_local(start, period), zone, fold)
