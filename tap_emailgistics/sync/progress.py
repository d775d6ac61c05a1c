"""What a person reads of a sync at any scale: a heartbeat while runs wait, and summaries.

At INFO a sync says O(streams + minutes) lines, never O(runs): one line per stream at
its start (the SDK's) and end (``StreamStats.summary``), a heartbeat at most every 30 s
while the streams wait for runs (``Heartbeat``), and one summary of the whole sync
(``sync_summary``). Per-run and per-window lines are DEBUG.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tap_emailgistics.durations import duration

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tap_emailgistics.sync.ledger import SyncLedger

LOGGER = logging.getLogger("tap-emailgistics")
HEARTBEAT_SECONDS = 30.0
_START_DATE = "start_date"


@dataclass
class StreamStats:
    """Counts of one stream's work in this sync."""

    started: float = field(default_factory=time.monotonic)
    rows: int = 0
    runs: int = 0
    attempts: int = 0
    resumed: int = 0
    journaled: int = 0  # resumed from the run journal (the state had none)
    requests: int = 0
    rate_limited: int = 0
    resume_points: Counter[str] = field(default_factory=Counter)

    def start(self) -> None:
        """The stream's first partition begins: its duration counts from now."""
        self.started = time.monotonic()

    def note_resume_point(self, bookmark: str | None) -> None:
        """Where one partition's next sync resumes (None: from start_date)."""
        self.resume_points[bookmark or _START_DATE] += 1

    def summary(self, stream: str) -> str:
        """One line: rows, runs, requests, 429s, time, and where partitions resume."""
        return (
            f"{stream} summary: {self.rows} rows, {self.runs} runs ({self.attempts} "
            f"attempts), {self.requests} requests, {self.rate_limited} answered 429, "
            f"{duration(time.monotonic() - self.started)}; next sync resumes from "
            f"{resume_points(self.resume_points)}"
        )


def resume_points(points: Counter[str]) -> str:
    """``provisional_from 2026-04-30T00:00:00 to 2026-05-01T00:00:00 (150 partitions)``."""
    if not points:
        return "the same bookmarks (no partition finished)"
    counted = sum(n for point, n in points.items() if point != _START_DATE)
    parts = []
    if counted:
        dated = sorted(point for point in points if point != _START_DATE)
        span = dated[0] if len(dated) == 1 else f"{dated[0]} to {dated[-1]}"
        parts.append(f"provisional_from {span} ({_partitions(counted)})")
    if points[_START_DATE]:
        parts.append(f"start_date ({_partitions(points[_START_DATE])})")
    return ", ".join(parts)


def _partitions(count: int) -> str:
    return f"{count} partition{'s' * (count != 1)}"


class Heartbeat:
    """At most one INFO line every ``HEARTBEAT_SECONDS`` while the streams wait for runs."""

    def __init__(
        self,
        ledger: SyncLedger,
        in_flight: Callable[[], int],
        clock: Callable[[], float] | None = None,
    ) -> None:
        """``in_flight``: how many runs are started and not yet read."""
        self.ledger, self.in_flight = ledger, in_flight
        self.clock = clock or time.monotonic
        self.started = self._last = self.clock()

    def start(self) -> None:
        """The sync begins: the first beat comes ``HEARTBEAT_SECONDS`` from now."""
        self.started = self._last = self.clock()

    def beat(self) -> None:
        """Log where the sync stands, if the last line is old enough."""
        now = self.clock()
        if now - self._last < HEARTBEAT_SECONDS:
            return
        self._last = now
        ledger = self.ledger
        done, total = ledger.settled, ledger.planned
        left = ""
        if done:
            seconds = (now - self.started) / done * (total - done)
            left = f", about {duration(seconds)} left" if seconds >= 1 else ""
        LOGGER.info(
            "Sync progress: %d of %d partitions done%s, %d runs in flight%s",
            done,
            total,
            ledger.troubles(),
            self.in_flight(),
            left,
        )


def sync_summary(
    ledger: SyncLedger, stats: Iterable[tuple[str, StreamStats]], seconds: float
) -> str:
    """The one line that ends a sync: partitions, rows per stream, runs, requests, time."""
    stats = list(stats)
    rows = ", ".join(f"{name} {s.rows}" for name, s in stats if s.rows)
    points: Counter[str] = Counter()
    for _, stream_stats in stats:
        points.update(stream_stats.resume_points)
    total = sum(s.rows for _, s in stats)
    return (
        f"Sync summary: {ledger.verified_count} of {ledger.planned} partitions verified"
        f"{ledger.troubles()}; {total} rows ({rows or 'none'}); "
        f"{sum(s.runs for _, s in stats)} runs ({sum(s.attempts for _, s in stats)} attempts, "
        f"{sum(s.resumed for _, s in stats)} resumed from state, "
        f"{sum(s.journaled for _, s in stats)} from the run journal); "
        f"{sum(s.requests for _, s in stats)} requests, "
        f"{sum(s.rate_limited for _, s in stats)} answered 429; {duration(seconds)}; "
        f"next sync resumes from {resume_points(points)}"
    )
