"""Report runs: their lifecycle, and the store that holds them and caps them per account."""

from __future__ import annotations

import itertools
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from emailgistics_sandbox.truth.reports import Row


class ApiError(Exception):
    """An API error answer: HTTP status plus the documented error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        retry_after: int | None = None,
        origin: dict[str, Any] | None = None,
    ) -> None:
        """Describe the error; ``origin`` is echoed in ``_links`` when known."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.origin = origin

    def body(self) -> dict[str, Any]:
        """The documented error envelope."""
        body: dict[str, Any] = {}
        if self.origin is not None:
            body["_links"] = {"origin": self.origin}
        body["status"] = "error"
        body["error"] = {"code": str(self.status), "message": self.message}
        return body


@dataclass
class Run:
    """One queued report run and its (snapshotted) result."""

    result_id: str
    key: str
    account: str
    origin: dict[str, Any]
    rows: list[Row]
    time_zone: str
    total_until_last_page: bool
    created_at: datetime  # sandbox clock, for the 24-hour expiry
    started: float  # monotonic, for the run's duration
    duration: float
    fails_with: str | None = None
    expire_after_pages: int | None = None
    pages_served: int = 0
    cutoff: str | None = field(default=None)
    mailbox_id: str = ""
    reads: int = 0  # results GETs (polls and pages)
    #: Its POST was answered with an error although it was queued (``queue_then_fail``):
    #: the client never learnt its id, so unless something reads it, it is an orphan.
    hidden: bool = False
    key_name: str = ""  # whose run it is, for /_sandbox/runs (never the key itself)

    def describe(self) -> dict[str, Any]:
        """What ``/_sandbox/runs`` shows of the run."""
        return {
            "resultId": self.result_id,
            "key": self.key_name,
            "mailboxId": self.mailbox_id,
            "report": str(self.origin.get("href", "")).rsplit("/", 1)[-1],
            "body": self.origin.get("body", {}).get("parameters"),
            "status": self.status(),
            "reads": self.reads,
            "orphan": self.hidden and self.reads == 0,
            "rows": len(self.rows),
            "startedMonotonic": self.started,
            "durationSeconds": self.duration,
        }

    def status(self) -> str:
        """``running`` until the run's duration has passed, then done or error."""
        if time.monotonic() - self.started < self.duration:
            return "running"
        return "error" if self.fails_with else "done"

    def progress(self) -> int:
        """0-99 while running, rising with elapsed time; 100 once finished."""
        if self.status() != "running":
            return 100
        return min(99, int((time.monotonic() - self.started) / self.duration * 100))


class RunStore:
    """All runs, with the per-account cap on runs that are still running."""

    def __init__(self) -> None:
        """Start empty."""
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()
        #: Held from the cap check to the store, so that concurrent creators (request
        #: threads, the neighbour) can never exceed the cap between the two.
        self._admission = threading.Lock()
        self._sequence = itertools.count(1)

    def running_count(self, account: str) -> tuple[int, float]:
        """Runs still running for ``account`` and seconds until the first finishes."""
        now = time.monotonic()
        with self._lock:
            every = [
                r.started + r.duration - now for r in self._runs.values() if r.account == account
            ]
        # Same edges as peak_running: a run ending exactly now no longer holds its slot.
        left = [seconds for seconds in every if seconds > 0]
        return len(left), min(left, default=0.0)

    def check_cap(self, account: str, cap: int) -> None:
        """The API's 429 if ``account`` already has ``cap`` runs running (0 = no cap)."""
        if cap <= 0:
            return
        running, first_done_in = self.running_count(account)
        if running >= cap:
            raise ApiError(
                429, "Rate limit exceeded.", retry_after=retry_after_seconds(first_done_in)
            )

    def add_capped(self, account: str, cap: int, run_factory: Callable[[str, int], Run]) -> Run:
        """``add`` a run for ``account`` unless ``check_cap`` refuses it; atomically."""
        with self._admission:
            self.check_cap(account, cap)
            return self.add(run_factory)

    def mailbox_of(self, result_id: str) -> str | None:
        """The mailbox of run ``result_id``, whoever started it; None if unknown."""
        with self._lock:
            run = self._runs.get(result_id)
        return None if run is None else run.mailbox_id

    def report_of(self, result_id: str) -> str | None:
        """The report of run ``result_id`` (``mailboxPerformance``); None if unknown."""
        with self._lock:
            run = self._runs.get(result_id)
        return None if run is None else str(run.origin.get("href", "")).rsplit("/", 1)[-1]

    def hide(self, result_id: str) -> None:
        """Mark a run whose POST the client was told had failed."""
        with self._lock:
            if result_id in self._runs:
                self._runs[result_id].hidden = True

    def peak_running(self) -> int:
        """The most runs that were running at the same moment (any account)."""
        edges = sorted(
            edge
            for run in self.all()
            for edge in ((run.started, 1), (run.started + run.duration, -1))
        )
        peak = running = 0
        for _, change in edges:  # an end sorts before a start at the same instant
            running += change
            peak = max(peak, running)
        return peak

    def all(self) -> list[Run]:
        """Every run, in creation order."""
        with self._lock:
            return list(self._runs.values())

    def add(self, run_factory: Callable[[str, int], Run]) -> Run:
        """Create and store a run; the factory receives its id and row-id base."""
        sequence = next(self._sequence)
        run: Run = run_factory(str(uuid.uuid4()), 10_000 + sequence * 100_000)
        with self._lock:
            self._runs[run.result_id] = run
        return run

    def get(self, result_id: str, key: str, now: datetime, ttl_hours: float) -> Run:
        """The run ``result_id`` if this key started it and it has not expired."""
        with self._lock:
            run = self._runs.get(result_id)
        missing = ApiError(404, f"Report result {result_id} was not found or has expired.")
        if run is None or run.key != key:
            raise missing
        if now >= run.created_at + timedelta(hours=ttl_hours):
            raise missing
        if run.expire_after_pages is not None and run.pages_served >= run.expire_after_pages:
            raise missing
        run.reads += 1
        return run


def retry_after_seconds(seconds: float) -> int:
    """A whole number of seconds, at least one, for ``Retry-After``."""
    return max(1, math.ceil(seconds))
