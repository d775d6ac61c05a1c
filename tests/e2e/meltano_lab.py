"""Many isolated `meltano run` pipelines at once, each with its own sandbox, schema and system dir.

The harness of the Meltano kill tests: ``Lab`` starts every scenario in a thread and
always cleans up (every process of every session it started, every schema, every
sandbox); the constants say how long a pipeline's sync is and what Meltano logs.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import signal
import sqlite3
import subprocess
import textwrap
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, closing, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings

from .conftest import MELTANO, ROOT, Pipeline, own_sys_dir
from .processes import GUARD_SECONDS, Finished, Launched, finished, session
from .test_meltano_pipeline import report_posts

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    import psycopg

#: The loader of most pipelines: target-postgres whose first drain on age (so Meltano's
#: first save) comes after ``QUICK_DRAIN_SECONDS``, not 5 minutes (tests/e2e/quick_drain).
QUICK_DRAIN = "target-postgres-quick-drain"
#: 10-second runs, 3 at a time, 63 of them: a first sync of about 3.5 minutes, so that
#: the quick drain's first save comes with most of the runs to go.
RUN_SECONDS = 10.0
#: The real target-postgres and its 5-minute drain, in one pipeline: runs of 20 s make
#: a first sync of about 7 minutes, so the first save comes with a quarter still to go.
REAL_DRAIN = "target-postgres"
REAL_RUN_SECONDS = 20.0
LONG_SYNC = {
    # Two-day windows: 7 per mailbox and report over the `test` environment's 14 days.
    "TAP_EMAILGISTICS_WINDOW_DAYS": '{"day": 2}',
    # The tap's default polling: the `test` environment's 0.05 s cap would spend the
    # request budget on polls of runs that last 10 s.
    "TAP_EMAILGISTICS_POLL_INITIAL_SECONDS": "2",
    "TAP_EMAILGISTICS_POLL_MAX_SECONDS": "30",
}
#: The same plan (the windows depend only on the dates, rows and window_days), paced
#: for a sandbox whose runs end at once.
FAST_SYNC = {
    "TAP_EMAILGISTICS_WINDOW_DAYS": '{"day": 2}',
    "TAP_EMAILGISTICS_REQUESTS_PER_MINUTE": "900",
}
#: The sandbox's clock, past the `test` environment's end_date (and its 15-minute lag):
#: every period a sync extracts is final, so a rerun after a whole sync creates no run,
#: and every run a rerun creates beyond the plan is work the stop lost.
AFTER_THE_RANGE = datetime(2026, 5, 10, tzinfo=UTC)


def sandbox_settings(run_seconds: float, **settings: Any) -> SandboxSettings:
    return SandboxSettings(run_seconds=run_seconds, now=AFTER_THE_RANGE, **settings)


#: A late stop comes once the sandbox has created this many runs after the first save,
#: so that a stop that loses the work since that save visibly repeats them.
RUNS_AFTER_SAVE = 8
#: The Singer SDK's `Target._MAX_RECORD_AGE_IN_MINUTES` drain, as target-postgres logs it
#: (``%d`` minutes: the quick drain's 20 s print as 0).
FIVE_MINUTE_DRAIN = "One or more records have exceeded the max age of 5 minutes"
QUICK_DRAIN_LOGGED = "One or more records have exceeded the max age of 0 minutes"
TARGET_SIGTERM_DRAIN = "Received termination signal 15, draining all sinks"
REFUSED = re.compile(
    r"Another '(?P<job>[^']+)' pipeline is already running which started at [^.]+\.\d+\S*\. "
    r"Wait until (?P<until>\S+ \S+) when the job will be automatically cancelled if stale, "
    r"or ignore this check using the '--force' option\."
)


HTTP_OK = 200


def scenarios_read(items: Iterable[pytest.Item], module: str) -> set[str]:
    """The scenarios the selected tests of ``module`` read, so that only those start.

    A test names each one as a literal in ``lab.result("…")`` or as its ``scenario``
    parameter; a test using the ``plan`` fixture reads the full sync too.
    """
    names: set[str] = set()
    for item in items:
        if not isinstance(item, pytest.Function) or item.module.__name__ != module:
            continue
        if (scenario := getattr(item, "callspec", None)) and "scenario" in scenario.params:
            names.add(str(scenario.params["scenario"]))
        if "plan" in item.fixturenames:
            names.add("full sync")
        tree = ast.parse(textwrap.dedent(inspect.getsource(item.function)))
        names |= {
            call.args[0].value
            for call in ast.walk(tree)
            if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "result"
            and call.args
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
        }
    return names


def runs_created(control: SandboxControl) -> int:
    """Report POSTs that created a run (a 429 created none; the killed run's leftover
    runs hold slots for a while, so a rerun may meet some)."""
    return sum(1 for post in report_posts(control) if post["status"] == HTTP_OK)


class Lab:
    """Starts the module's pipelines at once and always cleans up after them: every
    process it started (and their plugins), every schema, every sandbox."""

    def __init__(
        self,
        postgres: psycopg.Connection[Any],
        folder: Path,
        scenarios: dict[str, Callable[[Lab], Any]],
    ) -> None:
        self._postgres = postgres
        self._folder = folder
        self._stack = ExitStack()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._processes: list[subprocess.Popen[bytes]] = []
        self._schemas: list[str] = []
        self._scenarios = scenarios
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, len(scenarios)), thread_name_prefix="kills"
        )
        self._futures: dict[str, Future[Any]] = {}

    def start(self) -> None:
        for name, scenario in self._scenarios.items():
            self._futures[name] = self._pool.submit(scenario, self)

    def result(self, name: str) -> Any:
        """What scenario ``name`` returned (each scenario has its own record type)."""
        if name not in self._futures:
            msg = (
                f"the kill lab did not start {name!r}: a test names the scenarios it reads "
                f'as lab.result("{name}") or as its `scenario` parameter'
            )
            raise LookupError(msg)
        return self._futures[name].result()

    def pipeline(
        self, settings: SandboxSettings, loader: str = QUICK_DRAIN
    ) -> tuple[Pipeline, SandboxControl]:
        """A new sandbox, schema, state id and Meltano system directory."""
        with self._lock:
            self._check_open()
            sandbox = self._stack.enter_context(Sandbox(settings))
            name = f"e2e_kills_{uuid.uuid4().hex[:10]}"
            self._schemas.append(name)
        sys_dir = own_sys_dir(self._folder / name)
        pipeline = Pipeline(sandbox, name, name, sys_dir, loader)
        return pipeline, SandboxControl(sandbox.base_url)

    def launch(self, pipeline: Pipeline, *args: str, **env: str) -> Launched:
        """Start `meltano --log-format=json <args>` (default: this pipeline's run)."""
        args = args or ("run", "--state-id-suffix", pipeline.suffix, *plugins(pipeline))
        log_path = self._folder / f"{pipeline.suffix}-{uuid.uuid4().hex[:6]}.log"
        with self._lock:
            self._check_open()
            with log_path.open("wb") as log_file:
                # A session of its own: a signal reaches exactly the process it is sent
                # to, and cleanup finds its plugins by their session, also re-parented.
                process = subprocess.Popen(
                    [MELTANO, "--log-format=json", *args],
                    cwd=ROOT,
                    env=pipeline.env(**env),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log_file,
                    start_new_session=True,
                )
            self._processes.append(process)
        return Launched(process, log_path)

    def run(self, pipeline: Pipeline, *args: str, **env: str) -> Finished:
        """Run a `meltano` command to its end."""
        launched = self.launch(pipeline, *args, **env)
        launched.process.wait(timeout=GUARD_SECONDS)
        return finished(launched)

    def close(self) -> None:
        self._closing.set()
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            for pid in session(process.pid):
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.wait()
        for future in self._futures.values():
            with suppress(Exception):
                future.result()
        self._pool.shutdown(wait=True)
        for schema in self._schemas:
            self._postgres.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )
        self._stack.close()

    def _check_open(self) -> None:
        if self._closing.is_set():
            msg = "the module's pipelines are being cleaned up"
            raise RuntimeError(msg)


def plugins(pipeline: Pipeline) -> tuple[str, str]:
    """The extractor and loader of ``pipeline``'s `meltano run`."""
    return ("tap-emailgistics", pipeline.loader)


def last_heartbeat(pipeline: Pipeline) -> datetime:
    """The killed run's last heartbeat, from Meltano's system database."""
    with closing(sqlite3.connect(pipeline.sys_dir / "meltano.db")) as db:
        [(beat,)] = db.execute(
            "SELECT last_heartbeat_at FROM runs WHERE job_name = ? AND state = 'RUNNING'",
            (pipeline.state_id,),
        ).fetchall()
    return datetime.fromisoformat(beat).replace(tzinfo=UTC)


@dataclass
class RunRecord:
    """A run's row in Meltano's system database."""

    state: str
    ended_at: datetime | None


def run_record(pipeline: Pipeline, launched: Finished) -> RunRecord:
    [run_id] = {str(e["run_id"]) for e in launched.events if "run_id" in e}
    with closing(sqlite3.connect(pipeline.sys_dir / "meltano.db")) as db:
        [(state, ended_at)] = db.execute(
            "SELECT state, ended_at FROM runs WHERE run_id = ?", (uuid.UUID(run_id).hex,)
        ).fetchall()
    ended = None if ended_at is None else datetime.fromisoformat(ended_at).replace(tzinfo=UTC)
    return RunRecord(state, ended)


def make_instant(control: SandboxControl) -> None:
    """From now on runs end at once and the account allows the fast pace."""
    control.update_settings(runSeconds=0.05, requestsPerMinute=1000)
