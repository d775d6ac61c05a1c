"""Activity reports: partitions by activity type, windows of UTC instants, instant bookmarks.

Received Message Detail lists the messages whose ``received``, ``replied`` or ``closed``
activity happened between ``activityStart`` and ``activityEnd`` (both inclusive, to the
second). The tap keeps its windows as UTC instants ``[a, b)`` and asks for them with
``Z`` (``a`` to ``b`` minus a second), so no DST hour is ever ambiguous; ``start_date``
and ``end_date`` mean the same instants as for the other reports: wall-clock time in
each mailbox's zone. A partition's bookmark is the instant up to which its activity is
known complete: the end of its last verified window, never past the result's
``dataCutoffTimestamp`` when one is sent, never past the API's now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tap_emailgistics.finality.kinds import Watermark
from tap_emailgistics.finality.periods import Window, format_utc, to_utc
from tap_emailgistics.finality.rules import final_until, parse_cutoff

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from tap_emailgistics.finality.kinds import SyncRange
    from tap_emailgistics.values import VerifiedRun

ACTIVITY_TYPES = ("received", "replied", "closed")
_SECOND = timedelta(seconds=1)


def _naive_utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(tzinfo=None, microsecond=0)


class ByActivity:
    """The ``PartitionKind`` of activity reports (Received Message Detail)."""

    key = "activityType"
    unit = "day"
    bookmark_shape = "a UTC instant such as 2026-11-01T00:00:00Z"

    def values(self, settings: SyncRange) -> tuple[str, ...]:
        """The configured activity types."""
        return settings.message_activity_types

    def parse_bookmark(self, saved: str) -> datetime:
        """A UTC instant written with ``Z``; anything else is not this kind's bookmark."""
        if not saved.endswith("Z"):
            msg = f"{saved!r} is not a UTC instant (YYYY-MM-DDTHH:MM:SSZ)"
            raise ValueError(msg)
        return datetime.fromisoformat(saved.removesuffix("Z")).replace(tzinfo=None)

    def format_bookmark(self, bookmark: datetime) -> str:
        """``YYYY-MM-DDTHH:MM:SSZ``."""
        return format_utc(bookmark.replace(tzinfo=UTC))

    def span(
        self, bookmark: datetime | None, settings: SyncRange, zone: ZoneInfo, api_now: datetime
    ) -> tuple[datetime, datetime]:
        """UTC instants: start_date and end_date read in the mailbox's zone."""
        start = bookmark or _naive_utc(to_utc(settings.start, zone))
        end = _naive_utc(to_utc(settings.end, zone)) if settings.end else _naive_utc(api_now)
        return start, min(end, _naive_utc(api_now))

    def after_now(self, bookmark: datetime, value: str, zone: ZoneInfo, api_now: datetime) -> bool:
        """A bookmark after the API's now."""
        del value, zone
        return bookmark > _naive_utc(api_now)

    def windows(
        self, start: datetime, end: datetime, value: str, units: int, max_days: int | None
    ) -> list[Window]:
        """Spans of at most ``units`` days (and ``max_days``); none when nothing is new."""
        del value
        step = timedelta(days=min(units, max_days or units))
        windows: list[Window] = []
        cursor = start
        while cursor < end:
            windows.append(Window(cursor, min(cursor + step, end)))
            cursor = windows[-1].end
        return windows

    def request(self, window: Window, value: str) -> dict[str, Any]:
        """``activityType``, and the window as inclusive UTC bounds to the second."""
        return {
            "activityType": value,
            "activityStart": format_utc(window.start.replace(tzinfo=UTC)),
            "activityEnd": format_utc((window.end - _SECOND).replace(tzinfo=UTC)),
        }

    def bookmark_after(
        self, window: Window, value: str, zone: ZoneInfo, verified: VerifiedRun
    ) -> datetime:
        """The window's end, never past the result's cutoff or the API's now."""
        del value
        cutoff = parse_cutoff(verified.cutoff, zone, verified.api_now)
        return min(window.end, _naive_utc(final_until(cutoff, verified.api_now)))

    def watermark(
        self, bookmark: datetime, window: Window, value: str, zone: ZoneInfo
    ) -> Watermark:
        """The bookmark instant, and its wall clock in the mailbox's zone; no periods."""
        del window, value
        instant = bookmark.replace(tzinfo=UTC)
        return Watermark(instant, instant.astimezone(zone).replace(tzinfo=None), None)

    def describe(self, window: Window) -> str:
        """UTC instants."""
        start, end = (format_utc(t.replace(tzinfo=UTC)) for t in (window.start, window.end))
        return f"{start} to {end}"
