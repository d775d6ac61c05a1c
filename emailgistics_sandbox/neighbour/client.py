"""Another client of the sandbox's account: a thread that keeps its own runs going.

Real accounts are shared, and their limits with them: another client's runs take run
slots and its polls take requests from the per-minute budget. The neighbour keeps up to
``neighbour_runs`` small runs running on the default keys' account; each time one
finishes it reads it (one request) and creates another (one request). Every request is
admitted by the account's rate limiter and every creation by the same run-cap admission
as the API's POSTs; a refusal is waited out for the Retry-After it would have carried.
Its traffic is not HTTP, so it is not in the request log; ``describe()`` counts it.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emailgistics_sandbox.runs.store import ApiError, Run
from emailgistics_sandbox.settings.config import ApiKey
from emailgistics_sandbox.truth.reports import ReportQuery, run_report

if TYPE_CHECKING:
    from emailgistics_sandbox.neighbour.account import SharedAccount

#: Not among the API's keys: the tap can neither use it nor read the neighbour's runs.
NEIGHBOUR_KEY = ApiKey("sandbox-neighbour-key", "neighbour")
TICK_SECONDS = 0.05
#: Three days of the first mailbox, final at the default clock: a small result.
_WINDOW = {"start": "2026-01-05T00:00:00", "end": "2026-01-07T23:59:59", "period": "day"}
_COUNTERS = ("runsCreated", "creationsRefused", "runsRead", "requestsMade", "requestsRefused")


class Neighbour:
    """The other client; idle while ``neighbour_runs`` is 0, reacting to it changing."""

    def __init__(self, state: SharedAccount) -> None:
        """Prepare, without starting the thread; ``state``: the sandbox's (see account.py)."""
        self._state = state
        self._pending: list[Run] = []  # its runs not read yet; only the thread touches it
        self._not_before = 0.0  # monotonic time a Retry-After asked it to wait until
        self._counts = dict.fromkeys(_COUNTERS, 0)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Take its runs at once (so they are there when the server answers), then tick."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self.tick()
        self._thread = threading.Thread(
            target=self._loop, name="emailgistics-sandbox-neighbour", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking; its runs still finish on their own."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def describe(self) -> dict[str, Any]:
        """Its counters, the runs it has running and how many it aims for."""
        with self._lock:
            counts = dict(self._counts)
        running = sum(
            run.key == NEIGHBOUR_KEY.key and run.status() == "running"
            for run in self._state.runs.all()
        )
        target = self._state.settings.neighbour_runs
        return {"key": NEIGHBOUR_KEY.name, **counts, "running": running, "target": target}

    def tick(self) -> None:
        """Read its finished runs, then top its running runs up to the target."""
        if time.monotonic() < self._not_before:
            return
        if self._read_finished():
            self._top_up()

    def _loop(self) -> None:
        while not self._stopping.wait(TICK_SECONDS):
            self.tick()

    def _read_finished(self) -> bool:
        # False when the rate limit said to wait: nothing more this tick.
        state = self._state
        for run in [r for r in self._pending if r.status() != "running"]:
            if not self._request():
                return False
            self._pending.remove(run)
            now, ttl = state.clock.now(), state.settings.result_ttl_hours
            try:
                state.runs.get(run.result_id, NEIGHBOUR_KEY.key, now, ttl)
            except ApiError:
                continue  # expired while it was not looking: a 404, as for anyone
            self._count("runsRead")
        return True

    def _top_up(self) -> None:
        # Bounded per tick, so zero-second runs cannot spin the thread.
        running = sum(run.status() == "running" for run in self._pending)
        for _ in range(self._state.settings.neighbour_runs - running):
            if not self._request():
                return
            try:
                run = self._state.runs.add_capped(
                    NEIGHBOUR_KEY.account, self._state.settings.max_running_runs, self._new_run
                )
            except ApiError as refused:
                self._count("creationsRefused")
                self._wait(refused.retry_after or 1)
                return
            self._pending.append(run)
            self._count("runsCreated")

    def _request(self) -> bool:
        self._count("requestsMade")
        settings = self._state.settings
        retry = self._state.rate_limiter.admit(NEIGHBOUR_KEY.account, settings.requests_per_minute)
        if retry is None:
            return True
        self._count("requestsRefused")
        self._wait(retry)
        return False

    def _wait(self, seconds: float) -> None:
        self._not_before = time.monotonic() + seconds

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def _new_run(self, result_id: str, id_base: int) -> Run:
        state, mailbox = self._state, self._state.mailboxes[0]
        start, end = (datetime.fromisoformat(_WINDOW[name]) for name in ("start", "end"))
        query = ReportQuery("mailboxPerformance", mailbox, "day", start, end, ("replyData",))
        result = run_report(query, state.visible_until())
        rows = [{"id": str(id_base + i), **row} for i, row in enumerate(result.rows)]
        seconds = state.settings.neighbour_run_seconds
        return Run(
            result_id=result_id,
            key=NEIGHBOUR_KEY.key,
            key_name=NEIGHBOUR_KEY.name,
            account=NEIGHBOUR_KEY.account,
            origin=_origin(mailbox.mailbox_id),
            rows=rows,
            time_zone=mailbox.time_zone,
            total_until_last_page=False,
            created_at=state.clock.now(),
            started=time.monotonic(),
            duration=state.settings.run_duration(len(rows)) if seconds is None else seconds,
            cutoff=result.cutoff_local(mailbox.time_zone),
            mailbox_id=mailbox.mailbox_id,
        )


def _origin(mailbox_id: str) -> dict[str, Any]:
    # The neighbour is not an HTTP client: its origin has a path but no host.
    parameters = {"mailboxId": mailbox_id, **_WINDOW}
    href = "/api/v1/reports/mailboxPerformance"
    return {"href": href, "method": "POST", "body": {"parameters": parameters}}
