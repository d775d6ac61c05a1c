"""Periodic reports: partitions by period, windows of whole periods, bookmarks at period starts.

The range is wall-clock time in the mailbox's zone, as the API reads ``start``/``end``;
a window ``[a, b)`` is asked for as ``start=a``, ``end=b`` minus a second. A period is
final when it ends at or before the result's cutoff and the API's now (``rules``); the
bookmark goes to the first period that is not.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tap_emailgistics.finality.kinds import Watermark
from tap_emailgistics.finality.periods import (
    cut_windows,
    floor_period,
    format_local,
    periods_between,
    to_utc,
)
from tap_emailgistics.finality.rules import bookmark_after, final_until, parse_cutoff

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from tap_emailgistics.finality.kinds import SyncRange
    from tap_emailgistics.finality.periods import Window
    from tap_emailgistics.values import VerifiedRun

_SECOND = timedelta(seconds=1)


class ByPeriod:
    """The ``PartitionKind`` of periodic reports."""

    key = "period"
    unit = "period"
    bookmark_shape = "a mailbox-local date-time such as 2026-11-01T00:00:00"

    def values(self, settings: SyncRange) -> tuple[str, ...]:
        """The configured periods."""
        return settings.periods

    def parse_bookmark(self, saved: str) -> datetime:
        """Wall-clock time, as written (an offset would be ignored, as the API does)."""
        return datetime.fromisoformat(saved.strip()).replace(tzinfo=None)

    def format_bookmark(self, bookmark: datetime) -> str:
        """``YYYY-MM-DDTHH:MM:SS``, wall clock."""
        return format_local(bookmark)

    def span(
        self, bookmark: datetime | None, settings: SyncRange, zone: ZoneInfo, api_now: datetime
    ) -> tuple[datetime, datetime]:
        """Wall clock; the period containing now is included, also when now starts it."""
        local_now = api_now.astimezone(zone).replace(tzinfo=None)
        # (In a repeated DST hour that is the only way to reach its first occurrence.)
        return bookmark or settings.start, settings.end or local_now + _SECOND

    def after_now(self, bookmark: datetime, value: str, zone: ZoneInfo, api_now: datetime) -> bool:
        """A bookmark after the start of the period containing the API's now."""
        return bookmark > floor_period(api_now.astimezone(zone).replace(tzinfo=None), value)

    def windows(
        self, start: datetime, end: datetime, value: str, units: int, max_days: int | None
    ) -> list[Window]:
        """Whole periods, at most ``units`` a window."""
        return cut_windows(start, end, value, units, max_days)

    def request(self, window: Window, value: str) -> dict[str, Any]:
        """``start``, ``end`` (a second before the boundary) and ``period``."""
        start, end = window.request_bounds()
        return {"start": start, "end": end, "period": value}

    def bookmark_after(
        self, window: Window, value: str, zone: ZoneInfo, verified: VerifiedRun
    ) -> datetime:
        """The first period of the window that is not final (or the window's end)."""
        cutoff = parse_cutoff(verified.cutoff, zone, verified.api_now)
        return bookmark_after(window, value, zone, final_until(cutoff, verified.api_now))

    def watermark(
        self, bookmark: datetime, window: Window, value: str, zone: ZoneInfo
    ) -> Watermark:
        """In a repeated hour the earlier instant: it claims less finality, never more."""
        provisional = periods_between(bookmark, window.end, value, zone)
        return Watermark(to_utc(bookmark, zone), bookmark, provisional)

    def describe(self, window: Window) -> str:
        """Mailbox-local wall clock."""
        return f"{format_local(window.start)} to {format_local(window.end)}"
