"""Report runs: their lifecycle, their result pages and the documented envelope."""

from __future__ import annotations

import itertools
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from collections.abc import Callable

    from emailgistics_sandbox.reports import Row

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


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


@dataclass(frozen=True)
class PageRequest:
    """Which slice of a result a request asks for."""

    max_rows: int = DEFAULT_PAGE_SIZE
    starting_after: str | None = None
    ending_before: str | None = None


def envelope(run: Run, base_url: str, page: PageRequest) -> dict[str, Any]:
    """The documented envelope for ``run`` at ``page``."""
    status = run.status()
    results_url = f"{base_url}/api/v1/reports/results/{run.result_id}"
    links: dict[str, Any] = {
        "self": {"href": f"{results_url}?{urlencode(_page_params(page))}", "method": "GET"},
        "origin": run.origin,
    }
    body: dict[str, Any] = {
        "_links": links,
        "status": status,
        "progress": run.progress(),
    }
    if status == "error":
        body["error"] = {"code": "500", "message": run.fails_with}
        return body
    if status == "running":
        body["result"] = {"total": None, "data": [], "timeZone": run.time_zone}
        return body
    rows, has_before, has_after = _slice(run.rows, page)
    links.update(
        _cursor_links(
            f"{results_url}?{urlencode({'max': page.max_rows})}",
            rows,
            has_before=has_before,
            has_after=has_after,
        )
    )
    run.pages_served += 1
    total = None if run.total_until_last_page and has_after else len(run.rows)
    result: dict[str, Any] = {"total": total}
    if run.cutoff is not None:
        result["dataCutoffTimestamp"] = run.cutoff
    result["timeZone"] = run.time_zone
    result["data"] = rows
    body["result"] = result
    return body


def _page_params(page: PageRequest) -> dict[str, Any]:
    """The query that asks for ``page`` again (its ``_links.self``)."""
    params: dict[str, Any] = {"max": page.max_rows}
    if page.starting_after is not None:
        params["starting_after"] = page.starting_after
    if page.ending_before is not None:
        params["ending_before"] = page.ending_before
    return params


def _cursor_links(
    first_page_url: str, rows: list[Row], *, has_before: bool, has_after: bool
) -> dict[str, Any]:
    # A next link is the self link plus the cursor of this page's last row.
    links: dict[str, Any] = {}
    if has_after:
        href = f"{first_page_url}&starting_after={rows[-1]['id']}"
        links["next"] = {"href": href, "method": "GET"}
    if has_before:
        href = f"{first_page_url}&ending_before={rows[0]['id']}"
        links["prev"] = {"href": href, "method": "GET"}
    return links


def _slice(rows: list[Row], page: PageRequest) -> tuple[list[Row], bool, bool]:
    ids = [int(row["id"]) for row in rows]
    if page.ending_before is not None:
        limit = int(page.ending_before)
        before = [i for i, value in enumerate(ids) if value < limit]
        chosen = before[-page.max_rows :]
    else:
        floor = int(page.starting_after) if page.starting_after is not None else -1
        chosen = [i for i, value in enumerate(ids) if value > floor][: page.max_rows]
    if not chosen:
        return [], False, False
    return [rows[i] for i in chosen], chosen[0] > 0, chosen[-1] < len(rows) - 1
