"""What a person watching a sync reads: progress with time left, and one summary per stream."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field


def time_left(progress: int | None, elapsed: float) -> str:
    """``about 12 s left`` from a run's progress and the time it has taken so far."""
    if not progress or progress <= 0:
        return "time left unknown"
    seconds = elapsed * (100 - min(progress, 100)) / progress
    return f"about {duration(seconds)} left"


@dataclass
class StreamStats:
    """Counts of one stream's work in this sync."""

    started: float = field(default_factory=time.monotonic)
    rows: int = 0
    runs: int = 0
    attempts: int = 0
    requests: int = 0
    rate_limited: int = 0
    resume_points: Counter[str] = field(default_factory=Counter)

    def summary(self, stream: str) -> str:
        """One line: rows, runs, requests, 429s, time, and where partitions resume."""
        seconds = time.monotonic() - self.started
        resumes = ", ".join(
            f"{point} ({count} partition{'s' * (count != 1)})"
            for point, count in sorted(self.resume_points.items())
        )
        return (
            f"{stream} summary: {self.rows} rows, {self.runs} runs ({self.attempts} "
            f"attempts), {self.requests} requests, {self.rate_limited} answered 429, "
            f"{duration(seconds)}; next run resumes from provisional_from "
            f"{resumes or 'start_date (nothing verified)'}"
        )


@dataclass
class PartitionProgress:
    """Windows of one partition: how many are done and how long the rest may take."""

    windows: int
    started: float = field(default_factory=time.monotonic)
    done: int = 0

    def window_done(self) -> str:
        """``window 2 of 5 verified, partition about 30 s left``."""
        self.done += 1
        left = self.windows - self.done
        if not left:
            return f"window {self.done} of {self.windows} verified, partition done"
        per_window = (time.monotonic() - self.started) / self.done
        return (
            f"window {self.done} of {self.windows} verified, partition about "
            f"{duration(per_window * left)} left"
        )


def duration(seconds: float) -> str:
    """``12 s``, ``4.2 min`` or ``1.5 h``: whichever reads best."""
    if seconds >= 90 * 60:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 90:  # noqa: PLR2004 - minutes read better past 90 seconds
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.0f} s"
