"""What stopping, killing or overlapping `meltano run` costs, with target-postgres.

Issue "A killed `meltano run` starts over". Under `meltano run`, Meltano saves the STATE
lines the *target* prints, and target-postgres (Singer SDK 0.54) prints one only when it
drains all its sinks: when a record arrives more than 5 minutes after its last drain, at
the end of its input, or when it is signalled itself. So each long pipeline here would
sync for about 10 minutes (63 report runs of 30 s, 3 at a time) and is stopped a little
after Meltano's first save; they all run at once, each with its own sandbox, schema, state
id and Meltano system directory, started by one module fixture, and the tests then check
one behaviour each on what the pipelines did. Reruns make the sandbox's runs end at once:
they are compared by the report runs they create, not by their minutes.
The README's section "Stopping, killing and overlapping runs under Meltano" quotes the
figures these pipelines measure (``--log-cli-level=INFO`` prints them).
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, closing, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings
from tests.truth import active_mailbox_ids

from .conftest import MELTANO, ROOT, Pipeline
from .test_meltano_pipeline import assert_tables_equal_truth, report_posts

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import psycopg

pytestmark = pytest.mark.e2e
log = logging.getLogger(__name__)

#: 30-second runs, 3 at a time, 63 of them: a first sync of about 10 minutes, so that
#: target-postgres's first 5-minute drain comes with about half of the runs to go.
RUN_SECONDS = 30.0
LONG_SYNC = {
    # Two-day windows: 7 per mailbox and report over the `test` environment's 14 days.
    "TAP_EMAILGISTICS_WINDOW_DAYS": '{"day": 2}',
    # The tap's default polling: the `test` environment's 0.05 s cap would spend the
    # request budget on polls of runs that last 30 s.
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
#: The Singer SDK's `Target._MAX_RECORD_AGE_IN_MINUTES` drain, as target-postgres logs it.
FIVE_MINUTE_DRAIN = "One or more records have exceeded the max age of 5 minutes"
SAVED = "Incremental state has been updated"
TARGET_SIGTERM_DRAIN = "Received termination signal 15, draining all sinks"
REFUSED = re.compile(
    r"Another '(?P<job>[^']+)' pipeline is already running which started at [^.]+\.\d+\S*\. "
    r"Wait until (?P<until>\S+ \S+) when the job will be automatically cancelled if stale, "
    r"or ignore this check using the '--force' option\."
)
#: Hang guards only: every wait below is for an event, and these end a wait that would
#: otherwise never end; no test asserts how long anything took.
GUARD_SECONDS = 900.0


HTTP_OK = 200


def runs_created(control: SandboxControl) -> int:
    """Report POSTs that created a run (a 429 created none; the killed run's leftover
    runs hold slots for a while, so a rerun may meet some)."""
    return sum(1 for post in report_posts(control) if post["status"] == HTTP_OK)


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie that nobody reaped yet does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    """The child processes of ``pid``, from each process's parent in ``/proc/*/stat``
    (this kernel has no ``/proc/<pid>/task/*/children``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError):
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


def session(leader: int) -> list[int]:
    """The processes of the session ``leader`` started (`start_new_session`): meltano
    and its plugins, also once a SIGKILL of meltano left them to init."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError):
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
            if int(fields[3]) == leader:
                found.append(int(stat.parent.name))
    return found


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            msg = f"hang guard: still waiting for {what}"
            raise AssertionError(msg)
        time.sleep(0.5)


@dataclass
class Launched:
    """One `meltano --log-format=json …` process, in its own session, logging to a file."""

    process: subprocess.Popen[bytes]
    log_path: Path
    started: float = field(default_factory=time.monotonic)
    _events: list[dict[str, Any]] = field(default_factory=list)
    _read: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def events(self) -> list[dict[str, Any]]:
        """Meltano's log events so far (whole lines only)."""
        with self.log_path.open("rb") as file:
            file.seek(self._read)
            chunk = file.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._read += len(complete)
        for line in complete.decode("utf-8", "replace").splitlines():
            with suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict):
                    self._events.append(event)
        return self._events

    def saves(self) -> int:
        """How often Meltano saved the state the target printed."""
        return sum(1 for e in self.events() if str(e.get("event", "")).startswith(SAVED))

    def until(self, condition: Callable[[], bool], what: str) -> None:
        """Wait for ``condition``; fail at once if meltano ended before it held."""

        def met() -> bool:
            if condition():
                return True
            if self.process.poll() is not None:
                msg = f"meltano ended (code {self.process.returncode}) before {what}"
                raise AssertionError(msg)
            return False

        wait_for(met, what)

    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 1)


@dataclass
class Finished:
    """A `meltano` command that ran to its end."""

    returncode: int
    text: str = field(repr=False)
    events: list[dict[str, Any]] = field(repr=False)
    seconds: float

    def exit_codes(self) -> dict[str, int]:
        """The plugins' own exit codes, from Meltano's "Block run completed" event."""
        [completed] = [e for e in self.events if e.get("event") == "Block run completed"]
        return dict(completed["exit_codes"])


class Lab:
    """Starts the module's pipelines at once and always cleans up after them: every
    process it started (and their plugins), every schema, every sandbox."""

    def __init__(self, postgres: psycopg.Connection[Any], folder: Path) -> None:
        self._postgres = postgres
        self._folder = folder
        self._stack = ExitStack()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._processes: list[subprocess.Popen[bytes]] = []
        self._schemas: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=len(SCENARIOS), thread_name_prefix="kills")
        self._futures: dict[str, Future[Any]] = {}

    def start(self) -> None:
        for name, scenario in SCENARIOS.items():
            self._futures[name] = self._pool.submit(scenario, self)

    def result(self, name: str) -> Any:
        """What scenario ``name`` returned (each scenario has its own record type)."""
        return self._futures[name].result()

    def pipeline(self, settings: SandboxSettings) -> tuple[Separate, SandboxControl]:
        """A new sandbox, schema, state id and Meltano system directory."""
        with self._lock:
            self._check_open()
            sandbox = self._stack.enter_context(Sandbox(settings))
            name = f"e2e_kills_{uuid.uuid4().hex[:10]}"
            self._schemas.append(name)
        sys_dir = self._folder / name
        sys_dir.mkdir()
        for plugins in ("extractors", "loaders"):  # installed once, by `meltano install`
            (sys_dir / plugins).symlink_to(ROOT / ".meltano" / plugins)
        return Separate(sandbox, name, name, sys_dir), SandboxControl(sandbox.base_url)

    def launch(self, pipeline: Separate, *args: str, **env: str) -> Launched:
        """Start `meltano --log-format=json <args>` (default: this pipeline's run)."""
        args = args or ("run", "--state-id-suffix", pipeline.suffix, *PLUGINS)
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

    def run(self, pipeline: Separate, *args: str, **env: str) -> Finished:
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


PLUGINS = ("tap-emailgistics", "target-postgres")


@dataclass
class Separate(Pipeline):
    """A pipeline with a Meltano system directory of its own.

    `meltano run` writes a plugin's catalog and config to `.meltano/run/<plugin>/`, one
    directory per plugin name, so two runs of one plugin in one project at once can
    overwrite or remove each other's files ("Invalid catalog"); and each pipeline gets
    its own system database (state and run records) too.
    """

    sys_dir: Path

    def env(self, **extra: str) -> dict[str, str]:
        return super().env(MELTANO_SYS_DIR_ROOT=str(self.sys_dir), **extra)


def finished(launched: Launched) -> Finished:
    returncode = launched.process.wait(timeout=GUARD_SECONDS)
    text = launched.log_path.read_text(encoding="utf-8", errors="replace")
    return Finished(returncode, text, list(launched.events()), launched.seconds())


def last_heartbeat(pipeline: Separate) -> datetime:
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


def run_record(pipeline: Separate, launched: Finished) -> RunRecord:
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


# --- the pipelines ----------------------------------------------------------------------


@dataclass
class Full:
    pipeline: Separate
    control: SandboxControl
    done: Finished
    runs: int


def full_sync(lab: Lab) -> Full:
    """The plan: how many runs a whole sync of this configuration creates."""
    pipeline, control = lab.pipeline(sandbox_settings(0.05, requests_per_minute=1000))
    done = lab.run(pipeline, **FAST_SYNC)
    return Full(pipeline, control, done, runs_created(control))


@dataclass
class Stopped:
    """A long `meltano run` stopped one way, and what its rerun did."""

    pipeline: Separate
    control: SandboxControl
    first: Finished  # the stopped run
    saved: dict[str, Any]  # the state Meltano held at the stop ({} before the first save)
    left: dict[str, Any]  # the state Meltano held once every process had ended
    runs_before: int  # runs the stopped sync created
    record: RunRecord  # its run record once every process had ended
    rerun: Finished | None = None
    rerun_runs: int = 0
    overlap: Finished | None = None  # a second run on the same state id, while it ran
    refused: Finished | None = None  # the rerun without --force after a SIGKILL
    heartbeat: datetime | None = None
    timeline: dict[str, float] = field(default_factory=dict)

    def repeated(self, plan: int) -> int:
        """Runs created twice: those of the stopped sync and the rerun beyond the plan."""
        return self.runs_before + self.rerun_runs - plan


def _stop_meltano(signum: int) -> Callable[[Launched], None]:
    def stop(run: Launched) -> None:
        os.kill(run.pid, signum)

    return stop


def _stop_the_tap(run: Launched) -> None:
    """The README's command, run as an operator would, with meltano's process id."""
    done = subprocess.run(
        ["bash", "-c", readme_stop_command()],
        env={**os.environ, "MELTANO_PID": str(run.pid)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"pkill matched no process: {done.stderr}"


def readme_stop_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"<!-- stop-tap:start -->\n```bash\n(.*?)```\n<!-- stop-tap:end -->", readme, re.DOTALL
    )
    assert match, "README.md lost its command that stops the tap"
    return match.group(1)


def stopped(  # noqa: PLR0913 - one pipeline, described by what makes it differ
    lab: Lab,
    label: str,
    stop: Callable[[Launched], None],
    *,
    after_save: bool,
    rerun: bool = True,
    overlap: bool = False,
    forced: bool = False,
) -> Stopped:
    """Start a long sync; stop it before the first state save (after its first runs) or
    ``RUNS_AFTER_SAVE`` runs after it; wait until every process of it ended; rerun."""
    pipeline, control = lab.pipeline(sandbox_settings(RUN_SECONDS))
    run = lab.launch(pipeline, **LONG_SYNC)
    timeline: dict[str, float] = {}
    run.until(lambda: runs_created(control) >= 1, "the first report run")
    overlapping = lab.run(pipeline, **LONG_SYNC) if overlap else None
    saved: dict[str, Any] = {}
    if after_save:
        run.until(lambda: run.saves() >= 1, "Meltano's first state save")
        timeline["first save"] = run.seconds()
        saved = pipeline.state()
        at_save = runs_created(control)
        timeline["runs at the first save"] = at_save
        run.until(lambda: runs_created(control) >= at_save + RUNS_AFTER_SAVE, "more runs")
    else:
        run.until(lambda: runs_created(control) >= 3, "three report runs")
    plugins = children(run.pid)
    assert plugins, "meltano has not started its plugins"
    timeline["stop"] = run.seconds()
    stop(run)
    first = finished(run)
    wait_for(lambda: not any(map(alive, plugins)), "the tap and the target to end")
    timeline["all ended"] = run.seconds()
    outcome = Stopped(
        pipeline,
        control,
        first,
        saved,
        pipeline.state(),
        runs_created(control),
        run_record(pipeline, first),
        overlap=overlapping,
        timeline=timeline,
    )
    if forced:
        outcome.heartbeat = last_heartbeat(pipeline)
        outcome.refused = lab.run(pipeline, **FAST_SYNC)
    if rerun:
        make_instant(control)
        force = ("--force",) if forced else ()
        args = ("run", *force, "--state-id-suffix", pipeline.suffix, *PLUGINS)
        outcome.rerun = lab.run(pipeline, *args, **FAST_SYNC)
        outcome.rerun_runs = runs_created(control) - outcome.runs_before
    timeline["runs before the stop ended"] = outcome.runs_before
    timeline["rerun runs"] = outcome.rerun_runs
    log.info("%s: %s", label, timeline)
    return outcome


@dataclass
class Budgeted:
    pipeline: Separate
    control: SandboxControl
    first: Finished
    first_runs: int
    saved: dict[str, Any]
    rerun: Finished
    rerun_runs: int


def budgeted(lab: Lab) -> Budgeted:
    """A long sync with a one-minute time budget, then a sync without one."""
    pipeline, control = lab.pipeline(sandbox_settings(RUN_SECONDS))
    first = lab.run(pipeline, TAP_EMAILGISTICS_TIME_BUDGET_MINUTES="1", **LONG_SYNC)
    first_runs = runs_created(control)
    saved = pipeline.state()
    make_instant(control)
    rerun = lab.run(pipeline, **FAST_SYNC)
    return Budgeted(
        pipeline, control, first, first_runs, saved, rerun, runs_created(control) - first_runs
    )


def tap_exits_with(code: int) -> Callable[[Lab], Finished]:
    """A short sync in which the tap fails with exit ``code``."""

    def scenario(lab: Lab) -> Finished:
        pipeline, control = lab.pipeline(SandboxSettings(run_seconds=0.05))
        env: dict[str, str] = {}
        if code == 1:  # a setting a person must fix
            env["TAP_EMAILGISTICS_API_KEY"] = "short"
        elif code == 2:  # the API down: the mailbox list's retries run out
            control.set_faults(
                [{"kind": "http_error", "status": 503, "method": "GET", "path": "/mailboxes"}]
            )
        else:  # one mailbox's runs end in error: that partition fails, exit 3
            mailbox = active_mailbox_ids(control)[1]
            control.set_faults([{"kind": "run_error", "mailbox_id": mailbox}])
            env["TAP_EMAILGISTICS_RUN_ERROR_RETRIES"] = "0"
        return lab.run(pipeline, **env)

    return scenario


SCENARIOS: dict[str, Callable[[Lab], Any]] = {
    # The slowest first: the API-down exit 2 waits out the tap's retries (about 4 min).
    "exit 2": tap_exits_with(2),
    "SIGTERM meltano after a save": lambda lab: stopped(
        lab, "SIGTERM meltano after a save", _stop_meltano(signal.SIGTERM), after_save=True
    ),
    "SIGKILL meltano after a save": lambda lab: stopped(
        lab,
        "SIGKILL meltano after a save",
        _stop_meltano(signal.SIGKILL),
        after_save=True,
        forced=True,
    ),
    "SIGTERM the tap after a save": lambda lab: stopped(
        lab, "SIGTERM the tap after a save", _stop_the_tap, after_save=True, overlap=True
    ),
    "SIGTERM meltano before a save": lambda lab: stopped(
        lab, "SIGTERM meltano before a save", _stop_meltano(signal.SIGTERM), after_save=False
    ),
    "SIGKILL meltano before a save": lambda lab: stopped(
        lab,
        "SIGKILL meltano before a save",
        _stop_meltano(signal.SIGKILL),
        after_save=False,
        forced=True,
        rerun=False,
    ),
    "time budget": budgeted,
    "full sync": full_sync,
    "exit 1": tap_exits_with(1),
    "exit 3": tap_exits_with(3),
}


@pytest.fixture(scope="module")
def lab(
    postgres: psycopg.Connection[Any],
    meltano_installed: None,  # noqa: ARG001 - installs the plugins first
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Lab]:
    started = Lab(postgres, tmp_path_factory.mktemp("meltano-kills"))
    try:
        started.start()
        yield started
    finally:
        started.close()


@pytest.fixture(scope="module")
def plan(lab: Lab) -> int:
    full: Full = lab.result("full sync")
    assert full.done.returncode == 0, full.done.text[-3000:]
    log.info("full sync: %s runs created", full.runs)
    return full.runs


# --- when target-postgres hands Meltano a state -----------------------------------------


def test_given_a_long_run_when_meltano_first_saves_its_state_then_target_postgres_drained_on_age(
    lab: Lab,
) -> None:
    stopped_run: Stopped = lab.result("SIGTERM meltano after a save")
    events = [str(e.get("event", "")) for e in stopped_run.first.events]
    first_save = next(i for i, e in enumerate(events) if e.startswith(SAVED))
    assert any(FIVE_MINUTE_DRAIN in e for e in events[:first_save])


# --- SIGTERM or SIGKILL to `meltano` ----------------------------------------------------


def test_given_meltano_sigtermed_before_its_first_save_when_rerun_then_it_starts_over(
    lab: Lab, plan: int
) -> None:
    early: Stopped = lab.result("SIGTERM meltano before a save")
    assert early.first.returncode == 143
    assert early.left == {}
    assert early.rerun is not None
    assert early.rerun.returncode == 0, early.rerun.text[-3000:]
    assert early.rerun_runs == plan


def test_given_meltano_sigkilled_before_its_first_save_when_its_plugins_ended_then_no_state_is_kept(
    lab: Lab,
) -> None:
    early: Stopped = lab.result("SIGKILL meltano before a save")
    assert early.first.returncode == -signal.SIGKILL
    assert early.left == {}


def test_given_meltano_sigtermed_after_a_save_when_it_exits_then_what_the_target_printed_is_lost(
    lab: Lab,
) -> None:
    late: Stopped = lab.result("SIGTERM meltano after a save")
    assert late.first.returncode == 143
    # Meltano passed the signal on, and target-postgres drained (drain_all prints the
    # last STATE the tap sent it)...
    events = [str(e.get("event", "")) for e in late.first.events]
    assert any(TARGET_SIGTERM_DRAIN in e for e in events)
    # ...but Meltano kept the state of its last save, not that one.
    assert late.saved
    assert late.left == late.saved


def test_given_meltano_sigtermed_when_it_signals_the_target_then_it_has_already_closed_the_run(
    lab: Lab,
) -> None:
    late: Stopped = lab.result("SIGTERM meltano after a save")
    [drain] = [e for e in late.first.events if TARGET_SIGTERM_DRAIN in str(e.get("event", ""))]
    assert late.record.state == "FAIL"
    assert late.record.ended_at is not None
    assert late.record.ended_at < datetime.fromisoformat(str(drain["timestamp"]))


def test_given_meltano_sigtermed_after_a_save_when_rerun_then_it_repeats_the_runs_since_the_save(
    lab: Lab, plan: int
) -> None:
    late: Stopped = lab.result("SIGTERM meltano after a save")
    assert late.rerun is not None
    assert late.rerun.returncode == 0, late.rerun.text[-3000:]
    assert late.rerun_runs < plan  # it did not start over...
    assert late.repeated(plan) >= RUNS_AFTER_SAVE  # ...but lost every run since the save
    log.info(
        "SIGTERM meltano: %s before, %s rerun, plan %s", late.runs_before, late.rerun_runs, plan
    )


def test_given_meltano_sigkilled_after_a_save_when_its_plugins_ended_then_the_state_is_that_save(
    lab: Lab,
) -> None:
    killed: Stopped = lab.result("SIGKILL meltano after a save")
    assert killed.first.returncode == -signal.SIGKILL
    assert killed.saved
    assert killed.left == killed.saved


@pytest.mark.parametrize(
    "scenario", ["SIGKILL meltano before a save", "SIGKILL meltano after a save"]
)
def test_given_meltano_sigkilled_when_rerun_at_once_then_refused_until_5_min_after_its_heartbeat(
    lab: Lab, scenario: str
) -> None:
    killed: Stopped = lab.result(scenario)
    assert killed.record.state == "RUNNING"  # nothing was left to close it
    assert killed.refused is not None
    assert killed.heartbeat is not None
    assert killed.refused.returncode == 1
    refusal = REFUSED.search(killed.refused.text)
    assert refusal, killed.refused.text[-3000:]
    assert refusal["job"] == killed.pipeline.state_id
    until = datetime.fromisoformat(refusal["until"])
    assert until == killed.heartbeat + timedelta(minutes=5)


def test_given_meltano_sigkilled_after_a_save_when_rerun_with_force_then_it_resumes_from_the_save(
    lab: Lab, plan: int
) -> None:
    killed: Stopped = lab.result("SIGKILL meltano after a save")
    assert killed.rerun is not None
    assert killed.rerun.returncode == 0, killed.rerun.text[-3000:]
    assert killed.rerun_runs < plan
    assert killed.repeated(plan) >= RUNS_AFTER_SAVE
    log.info("SIGKILL meltano: %s before, %s rerun", killed.runs_before, killed.rerun_runs)


# --- SIGTERM to the tap only ------------------------------------------------------------


def test_given_the_tap_sigtermed_by_the_readme_command_when_meltano_ends_then_it_saved_the_stop(
    lab: Lab,
) -> None:
    tap: Stopped = lab.result("SIGTERM the tap after a save")
    assert tap.first.returncode == 1
    events = [str(e.get("event", "")) for e in tap.first.events]
    assert "Extractor failed" in events
    assert sum(1 for e in events if e.startswith(SAVED)) == 2  # the 5-minute one, the stop's
    assert tap.left != tap.saved


def test_given_the_readme_command_when_it_stops_a_run_then_it_signals_the_tap_and_not_the_target(
    lab: Lab,
) -> None:
    tap: Stopped = lab.result("SIGTERM the tap after a save")
    assert tap.first.exit_codes()["extractors"] == 143
    events = [str(e.get("event", "")) for e in tap.first.events]
    assert not any(TARGET_SIGTERM_DRAIN in e for e in events)  # it drained at end of input


def test_given_the_tap_sigtermed_when_rerun_then_it_repeats_far_less_than_after_sigterm_to_meltano(
    lab: Lab, plan: int
) -> None:
    tap: Stopped = lab.result("SIGTERM the tap after a save")
    meltano: Stopped = lab.result("SIGTERM meltano after a save")
    assert tap.rerun is not None
    assert tap.rerun.returncode == 0, tap.rerun.text[-3000:]
    log.info(
        "repeated runs: SIGTERM to the tap %s, to meltano %s",
        tap.repeated(plan),
        meltano.repeated(plan),
    )
    assert 0 <= tap.repeated(plan) * 4 <= meltano.repeated(plan)


# --- overlap, time budget, exit codes ---------------------------------------------------


def test_given_a_run_in_progress_when_a_second_run_uses_its_state_id_then_meltano_refuses_it(
    lab: Lab,
) -> None:
    tap: Stopped = lab.result("SIGTERM the tap after a save")
    assert tap.overlap is not None
    assert tap.overlap.returncode == 1
    refusal = REFUSED.search(tap.overlap.text)
    assert refusal, tap.overlap.text[-3000:]
    assert refusal["job"] == tap.pipeline.state_id
    assert not [e for e in tap.overlap.events if e.get("name") in PLUGINS]  # neither started


def test_given_a_time_budget_when_the_run_ends_on_time_then_the_next_run_repeats_nothing(
    lab: Lab, plan: int
) -> None:
    budget: Budgeted = lab.result("time budget")
    assert budget.first.returncode == 0, budget.first.text[-3000:]
    assert budget.rerun.returncode == 0, budget.rerun.text[-3000:]
    assert 0 < budget.first_runs < plan
    assert budget.first_runs + budget.rerun_runs == plan
    log.info(
        "time budget: %s runs in %s s, then %s",
        budget.first_runs,
        budget.first.seconds,
        budget.rerun_runs,
    )


@pytest.mark.parametrize(
    "scenario",
    [
        "SIGTERM meltano before a save",
        "SIGTERM meltano after a save",
        "SIGKILL meltano after a save",
        "SIGTERM the tap after a save",
    ],
)
def test_given_a_stopped_run_when_rerun_then_postgres_equals_ground_truth(
    lab: Lab, scenario: str, postgres: psycopg.Connection[Any]
) -> None:
    outcome: Stopped = lab.result(scenario)
    assert outcome.rerun is not None
    assert outcome.rerun.returncode == 0, outcome.rerun.text[-3000:]
    assert_tables_equal_truth(postgres, outcome.pipeline, outcome.control)


def test_given_a_time_budget_and_a_rerun_when_loaded_then_postgres_equals_ground_truth(
    lab: Lab, postgres: psycopg.Connection[Any]
) -> None:
    budget: Budgeted = lab.result("time budget")
    assert budget.rerun.returncode == 0, budget.rerun.text[-3000:]
    assert_tables_equal_truth(postgres, budget.pipeline, budget.control)


@pytest.mark.parametrize(
    ("scenario", "code"),
    [("exit 1", 1), ("exit 2", 2), ("exit 3", 3), ("SIGTERM the tap after a save", 143)],
)
def test_given_the_tap_fails_with_a_code_when_run_by_meltano_then_meltano_exits_1_and_logs_it(
    lab: Lab, scenario: str, code: int
) -> None:
    outcome = lab.result(scenario)
    done: Finished = outcome.first if isinstance(outcome, Stopped) else outcome
    assert done.returncode == 1
    assert done.exit_codes()["extractors"] == code
