"""Finality watermarks: up to where each partition's data is final, as rows for the warehouse.

The tap knows, for every report stream and (mailbox, period) partition, where its
data stops being final (the state's ``provisional_from``) and what the API's cutoff
and clock were when it last verified it. ``finality_watermarks`` rows carry that to
analysts: keep only settled periods, alert when a mailbox stops advancing, feed dbt
source freshness. A row is built from the very bookmark the state holds, after the
partition's last window was verified, so it never claims more finality than the state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tap_emailgistics.finality.periods import format_local, format_utc, period_end_utc, to_utc
from tap_emailgistics.finality.rules import parse_cutoff

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

WATERMARKS_STREAM = "finality_watermarks"


@dataclass(frozen=True)
class VerifiedPartition:
    """What the last verified window of a partition proves, with the bookmark it set."""

    stream: str
    mailbox_id: str
    period: str
    zone: ZoneInfo
    final_through: datetime  # the bookmark: local start of the first non-final period
    extracted_until: datetime  # local end of the last window read
    cutoff: str | None  # as the API sent it, from the done answer
    api_now: datetime  # the API's clock then (aware, UTC)
    verified_at: datetime  # the API's clock when the partition was done (aware, UTC)

    def row(self) -> dict[str, Any]:
        """The ``finality_watermarks`` record."""
        cutoff_utc = parse_cutoff(self.cutoff, self.zone, self.api_now)
        return {
            "stream": self.stream,
            "mailboxId": self.mailbox_id,
            "period": self.period,
            "timeZone": str(self.zone.key),
            "finalThroughLocal": format_local(self.final_through),
            # fold=0: in a repeated hour, the earlier instant claims less, never more.
            "finalThroughUtc": format_utc(to_utc(self.final_through, self.zone)),
            "provisionalPeriods": periods_between(
                self.final_through, self.extracted_until, self.period, self.zone
            ),
            "dataCutoffTimestamp": self.cutoff,
            "dataCutoffTimestampUtc": format_utc(cutoff_utc) if cutoff_utc else None,
            "apiNowUtc": format_utc(self.api_now),
            "lastVerifiedRunAtUtc": format_utc(self.verified_at),
        }


def periods_between(start: datetime, end: datetime, period: str, zone: ZoneInfo) -> int:
    """Periods from ``start`` (a period start) up to ``end``, local wall clock in ``zone``.

    Counted as instants, so a repeated DST hour counts twice, as the API reports it.
    """
    count, instant, stop = 0, to_utc(start, zone), to_utc(end, zone)
    while instant < stop:
        count, instant = count + 1, period_end_utc(instant, period, zone)
    return count


class WatermarkLog:
    """The partitions verified in this sync, latest per partition, for the watermark stream."""

    def __init__(self) -> None:
        """Start empty."""
        self._latest: dict[tuple[str, str, str], VerifiedPartition] = {}

    def add(self, verified: VerifiedPartition) -> None:
        """Keep a partition's latest verified fact."""
        self._latest[verified.stream, verified.mailbox_id, verified.period] = verified

    def rows(self) -> list[dict[str, Any]]:
        """One row per partition verified in this sync."""
        return [verified.row() for verified in self._latest.values()]
