"""Skip waiting in tests: ``time.sleep`` moves one shared clock on instead of sleeping.

The tap waits through the scheduler (a retry's next try, a poll) on ``time.monotonic``;
skipping ``time.sleep`` alone would turn those waits into busy loops of real seconds.
The in-process sandbox reads the same clock, so its runs age as the tap's waits pass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

_REAL_MONOTONIC = time.monotonic


@dataclass
class Warp:
    """The waits asked for, and how far the clock was moved on by them."""

    waits: list[float] = field(default_factory=list)
    offset: float = 0.0

    def monotonic(self) -> float:
        return _REAL_MONOTONIC() + self.offset

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.offset += max(0.0, seconds)


def warp_time(monkeypatch: pytest.MonkeyPatch) -> Warp:
    """Replace ``time.sleep`` and ``time.monotonic`` for this test."""
    warp = Warp()
    monkeypatch.setattr("time.monotonic", warp.monotonic)
    monkeypatch.setattr("time.sleep", warp.sleep)
    return warp
