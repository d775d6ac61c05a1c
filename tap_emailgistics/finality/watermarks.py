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

from tap_emailgistics.finality.periods import format_local, format_utc
from tap_emailgistics.finality.rules import parse_cutoff

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tap_emailgistics.finality.kinds import Watermark

WATERMARKS_STREAM = "finality_watermarks"


@dataclass(frozen=True)
class VerifiedPartition:
    """What the last verified window of a partition proves, with the bookmark it set."""

    stream: str
    mailbox_id: str
    period: str  # the partition's period, or its activity type (activity reports)
    zone: ZoneInfo
    watermark: Watermark  # from the bookmark the state holds (``PartitionKind.watermark``)
    cutoff: str | None  # as the API sent it, from the done answer
    api_now: datetime  # the API's clock then (aware, UTC)
    verified_at: datetime  # the API's clock when the partition was done (aware, UTC)

    def row(self) -> dict[str, Any]:
        """The ``finality_watermarks`` record."""
        cutoff_utc = parse_cutoff(self.cutoff, self.zone, self.api_now)
        mark = self.watermark
        return {
            "stream": self.stream,
            "mailboxId": self.mailbox_id,
            "period": self.period,
            "timeZone": str(self.zone.key),
            "finalThroughLocal": format_local(mark.final_through_local),
            "finalThroughUtc": format_utc(mark.final_through_utc),
            "provisionalPeriods": mark.provisional_periods,
            "dataCutoffTimestamp": self.cutoff,
            "dataCutoffTimestampUtc": format_utc(cutoff_utc) if cutoff_utc else None,
            "apiNowUtc": format_utc(self.api_now),
            "lastVerifiedRunAtUtc": format_utc(self.verified_at),
        }


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
