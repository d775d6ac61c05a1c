"""Durations as a person reads them: ``12 s``, ``4.2 min``, ``1.5 h``, and time left."""

from __future__ import annotations


def time_left(progress: int | None, elapsed: float) -> str:
    """``about 12 s left`` from a run's progress and the time it has taken so far."""
    if not progress or progress <= 0:
        return "time left unknown"
    seconds = elapsed * (100 - min(progress, 100)) / progress
    return f"about {duration(seconds)} left"


def duration(seconds: float) -> str:
    """``12 s``, ``4.2 min`` or ``1.5 h``: whichever reads best (never ``0 s``)."""
    if seconds >= 90 * 60:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 90:  # noqa: PLR2004 - minutes read better past 90 seconds
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.0f} s" if seconds >= 1 else "under 1 s"
