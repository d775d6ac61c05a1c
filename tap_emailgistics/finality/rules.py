"""Which periods are final, where a bookmark may go, and the UTC key of each row.

Pure functions of verified facts: the result's ``dataCutoffTimestamp`` (or its verified
absence on a ``done`` answer) and the API's "now" (its HTTP ``Date``). A period is final
when it ends at or before both. Comparisons are in UTC, so a DST change can never make
a provisional period look final.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tap_emailgistics.finality.periods import period_end_utc, to_utc

if TYPE_CHECKING:
    from collections.abc import Callable
    from zoneinfo import ZoneInfo

    from tap_emailgistics.finality.periods import Window

_HOUR = timedelta(hours=1)
LOGGER = logging.getLogger("tap-emailgistics")


def parse_cutoff(value: str | None, zone: ZoneInfo, api_now: datetime) -> datetime | None:
    """``dataCutoffTimestamp`` (local, e.g. ``2026-05-01T08:14:00.0``) as a UTC instant.

    The cutoff carries no offset, so inside a repeated DST hour it names two instants.
    Activity cannot be counted past the API's now: the later occurrence is meant when
    it is not after ``api_now``, else the earlier (which can only make fewer periods
    final, never more).
    """
    if value is None:
        return None
    local = datetime.fromisoformat(value).replace(tzinfo=None)
    later = to_utc(local, zone, fold=1)
    return later if later <= api_now else to_utc(local, zone)


def final_until(cutoff: datetime | None, api_now: datetime) -> datetime:
    """The instant up to which periods are final: the cutoff, never past the API's now."""
    return api_now if cutoff is None else min(cutoff, api_now)


def is_final(start_utc: datetime, period: str, zone: ZoneInfo, until: datetime) -> bool:
    """A period is final when it ends at or before ``until`` (see ``final_until``)."""
    return period_end_utc(start_utc, period, zone) <= until


def bookmark_after(window: Window, period: str, zone: ZoneInfo, until: datetime) -> datetime:
    """Where a partition's bookmark goes once ``window`` was verified.

    The start (local wall clock) of the first period in the window that is not final,
    or the window's end when every period in it is.
    """
    instant, stop = to_utc(window.start, zone), to_utc(window.end, zone)
    while instant < stop:
        end = period_end_utc(instant, period, zone)
        if end > until:
            return instant.astimezone(zone).replace(tzinfo=None)
        instant = end
    return window.end


def is_ambiguous(local: datetime, zone: ZoneInfo) -> bool:
    """Whether a wall-clock time occurs twice in ``zone`` (a DST fall-back hour)."""
    first = local.replace(tzinfo=zone, fold=0).utcoffset()
    return first != local.replace(tzinfo=zone, fold=1).utcoffset()


@dataclass
class RowKeys:
    """UTC starts for the rows of one result, read in the order the API sent them.

    Rows come in period order; within a period each dimension value appears once. A
    repeated wall-clock hour therefore starts its second occurrence where a dimension
    value repeats, or, when the report sorts its dimension (``order``), where that
    order goes backwards. Without either signal every row of the hour belongs to the
    first occurrence as far as the result can tell, and the tap says so in the log.
    """

    zone: ZoneInfo
    order: Callable[[str], str] | None = None
    _local: datetime | None = None
    _occurrence: int = 0
    _seen: set[str | None] = field(default_factory=set)
    _last: str | None = None
    # Worked out once per period (rows of one period come together), not per row.
    _ambiguous: bool = False
    _first_utc: datetime | None = None

    def utc_start(self, local: datetime, dimension: str | None) -> datetime:
        """UTC instant of a row's local ``startDateTime``; raises ``ValueError`` on repeats."""
        if local != self._local:
            self._close_group()
            self._local, self._occurrence, self._seen, self._last = local, 0, set(), None
            self._ambiguous, self._first_utc = is_ambiguous(local, self.zone), None
        elif dimension in self._seen or self._goes_back(dimension, local):
            self._occurrence, self._seen = self._occurrence + 1, set()
        self._seen.add(dimension)
        self._last = dimension
        if self._occurrence == 0:
            if self._first_utc is None:
                self._first_utc = to_utc(local, self.zone)
            return self._first_utc
        if self._occurrence == 1 and self._ambiguous:
            return to_utc(local, self.zone, fold=1)
        msg = f"period {local.isoformat()} appears more often than it occurs in {self.zone.key}"
        raise ValueError(msg)

    def close(self) -> None:
        """End of the result: report an ambiguous hour that showed one occurrence only."""
        self._close_group()
        self._local = None

    def _goes_back(self, dimension: str | None, local: datetime) -> bool:
        if self.order is None or dimension is None or self._last is None:
            return False
        del local  # the group's, known: self._local
        return self._ambiguous and self.order(dimension) < self.order(self._last)

    def _close_group(self) -> None:
        local = self._local
        if local is not None and self._occurrence == 0 and self._ambiguous:
            LOGGER.warning(
                "Rows at %s (%s) show one occurrence of a repeated DST hour; nothing in the "
                "result tells which, so they are keyed as the first (%s).",
                local.isoformat(),
                self.zone.key,
                to_utc(local, self.zone).isoformat(),
            )
