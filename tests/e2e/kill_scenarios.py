"""The ways the Meltano kill tests stop a `meltano run`, each a scenario the ``Lab`` runs.

Each scenario starts its own pipeline, stops it one way (or lets the tap fail), waits
until every process of it ended, and reruns it; it returns what the tests check.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emailgistics_sandbox import SandboxControl, SandboxSettings
from tests.readme import readme_block
from tests.truth import active_mailbox_ids

from .meltano_lab import (
    FAST_SYNC,
    LONG_SYNC,
    REAL_DRAIN,
    REAL_RUN_SECONDS,
    RUN_SECONDS,
    RUNS_AFTER_SAVE,
    Lab,
    RunRecord,
    last_heartbeat,
    make_instant,
    plugins,
    run_record,
    runs_created,
    sandbox_settings,
)
from .processes import Finished, Launched, alive, children, finished, wait_for

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from .conftest import Pipeline

log = logging.getLogger(__name__)


@dataclass
class Full:
    pipeline: Pipeline
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

    pipeline: Pipeline
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


def _stop_the_group(signum: int) -> Callable[[Launched], None]:
    """What a scheduler's timeout sends (Airflow's BashOperator), or Ctrl-C in a terminal."""

    def stop(run: Launched) -> None:
        os.killpg(run.pid, signum)  # meltano leads its own session (``Lab.launch``)

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
    return readme_block("stop-tap", "bash")


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
    timeline["stop"] = run.seconds()
    first = stop_and_wait(run, stop)
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
        args = ("run", *force, "--state-id-suffix", pipeline.suffix, *plugins(pipeline))
        outcome.rerun = lab.run(pipeline, *args, **FAST_SYNC)
        outcome.rerun_runs = runs_created(control) - outcome.runs_before
    timeline["runs before the stop ended"] = outcome.runs_before
    timeline["rerun runs"] = outcome.rerun_runs
    log.info("%s: %s", label, timeline)
    return outcome


def stop_and_wait(run: Launched, stop: Callable[[Launched], None]) -> Finished:
    """Stop ``run`` one way; return once meltano and its plugins have all ended."""
    started = children(run.pid)
    assert started, "meltano has not started its plugins"
    stop(run)
    first = finished(run)
    wait_for(lambda: not any(map(alive, started)), "the tap and the target to end")
    return first


def real_drain(lab: Lab) -> Finished:
    """The real target-postgres: a long sync, SIGTERMed to meltano at its first save."""
    pipeline, _ = lab.pipeline(sandbox_settings(REAL_RUN_SECONDS), REAL_DRAIN)
    run = lab.launch(pipeline, **LONG_SYNC)
    run.until(lambda: run.saves() >= 1, "Meltano's first state save")
    log.info("the real target-postgres: Meltano's first save %s s in", run.seconds())
    return stop_and_wait(run, _stop_meltano(signal.SIGTERM))


@dataclass
class Budgeted:
    pipeline: Pipeline
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
    # The slowest first: the real 5-minute drain, then the API-down exit 2, which waits
    # out the tap's retries (about 4 min).
    "the real 5-minute drain": real_drain,
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
    "SIGTERM the group before a save": lambda lab: stopped(
        lab,
        "SIGTERM the group before a save",
        _stop_the_group(signal.SIGTERM),
        after_save=False,
    ),
    "SIGTERM the group after a save": lambda lab: stopped(
        lab, "SIGTERM the group after a save", _stop_the_group(signal.SIGTERM), after_save=True
    ),
    "SIGINT the group before a save": lambda lab: stopped(
        lab, "SIGINT the group before a save", _stop_the_group(signal.SIGINT), after_save=False
    ),
    "SIGINT the group after a save": lambda lab: stopped(
        lab, "SIGINT the group after a save", _stop_the_group(signal.SIGINT), after_save=True
    ),
    "time budget": budgeted,
    "full sync": full_sync,
    "exit 1": tap_exits_with(1),
    "exit 3": tap_exits_with(3),
}
