"""What one attempt at a report run has seen: its state, answers, rows and cutoff."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tap_emailgistics.values import RunState

if TYPE_CHECKING:
    from datetime import datetime

    from tap_emailgistics.engine.envelope import Envelope
    from tap_emailgistics.engine.paginator import RunPaginator


@dataclass
class Attempt:
    """What one attempt at the run has seen so far."""

    number: int
    paginator: RunPaginator
    state: RunState = RunState.CREATED
    started: float | None = None  # monotonic, when its first request was sent
    envelope: Envelope | None = None
    cutoff: str | None = None
    api_now: datetime | None = None
    rows: int = 0
    totals: set[int] = field(default_factory=set)
