"""What differs between the two kinds of report: how a range is cut, where a bookmark goes.

A periodic report (``by_period``) groups activity by period: its partitions are
(mailbox, period), its windows whole periods of wall-clock time in the mailbox's zone,
its bookmark the start of the first period not yet final. An activity report
(``by_activity``) lists messages by when an activity happened: its partitions are
(mailbox, activity type), its windows spans of UTC instants, its bookmark the instant up
to which that activity is known complete. The registry entry names the kind; the plan,
the scheduler, the run and the stream are the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tap_emailgistics.finality.periods import Window
    from tap_emailgistics.values import VerifiedRun


class SyncRange(Protocol):
    """What a kind reads of the settings (``settings.parse.Settings`` is one).

    A protocol, so that finality sits below the settings package that imports it.
    """

    @property
    def start(self) -> datetime:
        """The range's start: naive, mailbox-local wall clock."""

    @property
    def end(self) -> datetime | None:
        """The range's end (naive, mailbox-local); None: now, per mailbox."""

    @property
    def periods(self) -> tuple[str, ...]:
        """The periods a periodic report is extracted for."""

    @property
    def message_activity_types(self) -> tuple[str, ...]:
        """The activity types an activity report is extracted for."""


@dataclass(frozen=True)
class Watermark:
    """Where a partition's data is final, for its ``finality_watermarks`` row."""

    final_through_utc: datetime
    final_through_local: datetime  # wall clock in the mailbox's zone
    provisional_periods: int | None  # None: the kind has no periods


class PartitionKind(Protocol):
    """One kind of report's partitions, windows and bookmarks."""

    #: The context key beside ``mailboxId``: ``period`` or ``activityType``.
    key: str
    #: What one window unit is, for sizing windows by rows: a period, or a day.
    unit: str
    #: What a bookmark looks like, for the line that reports a damaged one.
    bookmark_shape: str

    def values(self, settings: SyncRange) -> tuple[str, ...]:
        """The partition values to extract (periods, or activity types)."""

    def parse_bookmark(self, saved: str) -> datetime:
        """A bookmark as the state holds it; ``ValueError`` if it is not one."""

    def format_bookmark(self, bookmark: datetime) -> str:
        """A bookmark as the state holds it."""

    def span(
        self, bookmark: datetime | None, settings: SyncRange, zone: ZoneInfo, api_now: datetime
    ) -> tuple[datetime, datetime]:
        """From the bookmark (or start_date) to end_date (or the API's now)."""

    def after_now(self, bookmark: datetime, value: str, zone: ZoneInfo, api_now: datetime) -> bool:
        """Whether a bookmark lies after the API's now: the state cannot be right."""

    def windows(
        self, start: datetime, end: datetime, value: str, units: int, max_days: int | None
    ) -> list[Window]:
        """``[start, end)`` cut into windows of at most ``units`` units (and ``max_days``)."""

    def request(self, window: Window, value: str) -> dict[str, Any]:
        """The body fields that ask for one window (besides mailbox and filters)."""

    def bookmark_after(
        self, window: Window, value: str, zone: ZoneInfo, verified: VerifiedRun
    ) -> datetime:
        """Where the bookmark goes once ``window`` was verified."""

    def watermark(
        self, bookmark: datetime, window: Window, value: str, zone: ZoneInfo
    ) -> Watermark:
        """The partition's watermark, from its bookmark and its last window read."""

    def describe(self, window: Window) -> str:
        """``2026-04-01T00:00:00 to 2026-05-01T00:00:00``, as every line names a window."""
