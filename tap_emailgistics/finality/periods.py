"""Periods and time windows in a mailbox's own zone.

All range values are naive wall-clock times in a mailbox's zone, because that is how
the API reads ``start``/``end``. Instants are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

PERIODS = ("hour", "day", "week", "month")
_HOUR = timedelta(hours=1)
_ISO = "%Y-%m-%dT%H:%M:%S"


def floor_period(local: datetime, period: str) -> datetime:
    """Start of the period containing ``local`` (weeks start on Monday)."""
    hour = local.replace(minute=0, second=0, microsecond=0)
    if period == "hour":
        return hour
    day = hour.replace(hour=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period(start: datetime, period: str) -> datetime:
    """Wall-clock start of the period after the one starting at ``start``."""
    if period == "hour":
        return start + _HOUR
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    carry, month = divmod(start.month, 12)
    return start.replace(year=start.year + carry, month=month + 1)


def ceil_period(local: datetime, period: str) -> datetime:
    """``local`` if it starts a period, else the start of the next period."""
    floor = floor_period(local, period)
    return floor if floor == local else next_period(floor, period)


def to_utc(local: datetime, zone: ZoneInfo, *, fold: int = 0) -> datetime:
    """A naive wall-clock time in ``zone`` as an aware UTC instant."""
    return local.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def period_end_utc(start_utc: datetime, period: str, zone: ZoneInfo) -> datetime:
    """End (UTC) of the period that starts at ``start_utc``."""
    if period == "hour":
        return start_utc + _HOUR
    local = start_utc.astimezone(zone).replace(tzinfo=None)
    return to_utc(next_period(local, period), zone)


@dataclass(frozen=True)
class Window:
    """A run's range ``[start, end)`` of whole periods, in mailbox-local wall clock."""

    start: datetime
    end: datetime

    def request_bounds(self) -> tuple[str, str]:
        """``start``/``end`` for the API: ``end`` one second before the boundary."""
        return self.start.strftime(_ISO), (self.end - timedelta(seconds=1)).strftime(_ISO)


_FIXED = {"hour": _HOUR, "day": timedelta(days=1), "week": timedelta(days=7)}


def advance(start: datetime, period: str, count: int, limit: datetime) -> datetime:
    """The period start ``count`` periods after ``start`` (a period start), or ``limit``.

    Whichever comes first, so that no count, however large, leaves the calendar.
    """
    if period in _FIXED:
        step = _FIXED[period]
        return start + step * count if count <= (limit - start) // step else limit
    months = (limit.year - start.year) * 12 + limit.month - start.month
    if count > months:
        return limit
    carry, month = divmod(start.month - 1 + count, 12)
    return start.replace(year=start.year + carry, month=month + 1)


def cut_windows(
    start: datetime, end: datetime, period: str, max_periods: int, max_days: int | None = None
) -> list[Window]:
    """``[start, end)`` rounded out to whole periods and cut into windows.

    Each window holds at most ``max_periods`` periods and, with ``max_days``, spans at
    most that many days (but at least one period); windows start and end on period
    boundaries.
    """
    cursor, last = floor_period(start, period), ceil_period(end, period)
    windows: list[Window] = []
    while cursor < last:
        boundary = advance(cursor, period, max(1, max_periods), last)
        if max_days is not None:
            by_days = floor_period(cursor + timedelta(days=max_days), period)
            boundary = min(boundary, max(by_days, next_period(cursor, period)))
        windows.append(Window(cursor, min(boundary, last)))
        cursor = windows[-1].end
    return windows


def split_window(window: Window, period: str) -> tuple[Window, Window] | None:
    """Two windows of half the periods each (the second may have one more); None for one."""
    start, end = window.start, window.end
    if period in _FIXED:
        count = (end - start) // _FIXED[period]
    else:
        count = (end.year - start.year) * 12 + end.month - start.month
    if count < 2:  # noqa: PLR2004 - one period cannot be cut
        return None
    middle = advance(start, period, count // 2, end)
    return Window(start, middle), Window(middle, end)


def format_utc(instant: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``."""
    return instant.astimezone(UTC).strftime(_ISO) + "Z"


def format_local(local: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` (how the API writes wall-clock times)."""
    return local.strftime(_ISO)


def periods_between(start: datetime, end: datetime, period: str, zone: ZoneInfo) -> int:
    """Periods from ``start`` (a period start) up to ``end``, local wall clock in ``zone``.

    Counted as instants, so a repeated DST hour counts twice, as the API reports it.
    """
    count, instant, stop = 0, to_utc(start, zone), to_utc(end, zone)
    while instant < stop:
        count, instant = count + 1, period_end_utc(instant, period, zone)
    return count
