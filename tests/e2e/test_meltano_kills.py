"""What stopping, killing or overlapping `meltano run` costs, with target-postgres.

Issue "A killed `meltano run` starts over". Under `meltano run`, Meltano saves the STATE
lines the *target* prints, and target-postgres (Singer SDK 0.54) prints one only when it
drains all its sinks: when a record arrives more than 5 minutes after its last drain, at
the end of its input, or when it is signalled itself. One pipeline runs the real target
until that first 5-minute save; the others use the same target with its first drain
after 20 s (tests/e2e/quick_drain), so each long pipeline syncs for about 3.5 minutes
(63 report runs of 10 s, 3 at a time) and is stopped a little after Meltano's first save.
They all run at once, each with its own sandbox, schema, state id and Meltano system
directory, started by one module fixture, and the tests then check one behaviour each on
what the pipelines did. Reruns make the sandbox's runs end at once: they are compared by
the report runs they create, not by their minutes.
The section "Stopping, killing and overlapping runs under Meltano" of docs/operating.md quotes the
figures these pipelines measure (``--log-cli-level=INFO`` prints them).
"""

from __future__ import annotations

import logging
import re
import signal
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from .kill_scenarios import SCENARIOS, Budgeted, Full, Stopped
from .meltano_lab import (
    FIVE_MINUTE_DRAIN,
    QUICK_DRAIN_LOGGED,
    REFUSED,
    RUNS_AFTER_SAVE,
    TARGET_SIGTERM_DRAIN,
    Lab,
    plugins,
    scenarios_read,
)
from .processes import SAVED, Finished
from .test_meltano_pipeline import assert_tables_equal_truth

if TYPE_CHECKING:
    from collections.abc import Iterator

    import psycopg

# One worker runs the module: its tests share one expensive module fixture.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("kill-lab")]
log = logging.getLogger(__name__)
#: Runs a rerun may create again: the one whose POST was answered as the stop came,
#: before the tap wrote it to its run journal.
MAY_REPEAT = 1


def journaled(rerun: Finished) -> int:
    """How many runs the rerun read from the run journal (its sync summary says)."""
    found = re.findall(r"(\d+) from the run journal\)", rerun.text)
    assert found, rerun.text[-3000:]
    return int(found[-1])


@pytest.fixture(scope="module")
def lab(
    postgres: psycopg.Connection[Any],
    meltano_installed: None,  # noqa: ARG001 - installs the plugins first
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Lab]:
    # Only the pipelines the selected tests read: `-k` on one test starts one or two.
    wanted = scenarios_read(request.session.items, __name__)
    chosen = {name: scenario for name, scenario in SCENARIOS.items() if name in wanted}
    started = Lab(postgres, tmp_path_factory.mktemp("meltano-kills"), chosen)
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


def drained_before_the_first_save(done: Finished, drain: str) -> bool:
    events = [str(e.get("event", "")) for e in done.events]
    first_save = next(i for i, e in enumerate(events) if e.startswith(SAVED))
    return any(drain in e for e in events[:first_save])


def test_given_a_long_run_when_meltano_first_saves_its_state_then_target_postgres_drained_on_age(
    lab: Lab,
) -> None:
    # The real target-postgres, unchanged: its first state comes from the 5-minute drain.
    assert drained_before_the_first_save(lab.result("the real 5-minute drain"), FIVE_MINUTE_DRAIN)


def test_given_the_quick_drain_loader_when_meltano_first_saves_then_it_drained_on_age_early(
    lab: Lab,
) -> None:
    # The other pipelines' loader: the same drain, its first one after 20 s.
    late: Stopped = lab.result("SIGTERM meltano after a save")
    assert drained_before_the_first_save(late.first, QUICK_DRAIN_LOGGED)
    assert not drained_before_the_first_save(late.first, FIVE_MINUTE_DRAIN)


# --- SIGTERM or SIGKILL to `meltano` ----------------------------------------------------


def test_given_meltano_sigtermed_before_its_first_save_when_rerun_then_it_reads_the_runs_made(
    lab: Lab, plan: int
) -> None:
    early: Stopped = lab.result("SIGTERM meltano before a save")
    assert early.first.returncode == 143
    assert early.left == {}  # Meltano kept nothing: the state starts over...
    assert early.rerun is not None
    assert early.rerun.returncode == 0, early.rerun.text[-3000:]
    assert early.runs_before >= 3
    # ...but the runs the stopped sync created are read from the run journal.
    assert early.repeated(plan) <= MAY_REPEAT


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


def test_given_meltano_sigtermed_after_a_save_when_rerun_then_the_runs_since_are_read_not_made(
    lab: Lab, plan: int
) -> None:
    late: Stopped = lab.result("SIGTERM meltano after a save")
    assert late.rerun is not None
    assert late.rerun.returncode == 0, late.rerun.text[-3000:]
    assert late.rerun_runs < plan  # it did not start over...
    # ...and the runs since the save, which the state lost, came from the run journal.
    assert journaled(late.rerun) >= RUNS_AFTER_SAVE
    assert late.repeated(plan) <= MAY_REPEAT
    log.info(
        "SIGTERM meltano: %s before, %s rerun, %s from the journal, plan %s",
        late.runs_before,
        late.rerun_runs,
        journaled(late.rerun),
        plan,
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
    assert journaled(killed.rerun) >= RUNS_AFTER_SAVE
    assert killed.repeated(plan) <= MAY_REPEAT
    log.info(
        "SIGKILL meltano: %s before, %s rerun, %s from the journal",
        killed.runs_before,
        killed.rerun_runs,
        journaled(killed.rerun),
    )


# --- SIGTERM to the tap only ------------------------------------------------------------


def test_given_the_tap_sigtermed_by_the_readme_command_when_meltano_ends_then_it_saved_the_stop(
    lab: Lab,
) -> None:
    tap: Stopped = lab.result("SIGTERM the tap after a save")
    assert tap.first.returncode == 1
    events = [str(e.get("event", "")) for e in tap.first.events]
    assert "Extractor failed" in events
    assert sum(1 for e in events if e.startswith(SAVED)) == 2  # the first drain's, the stop's
    assert tap.left != tap.saved


def test_given_the_readme_command_when_it_stops_a_run_then_it_signals_the_tap_and_not_the_target(
    lab: Lab,
) -> None:
    tap: Stopped = lab.result("SIGTERM the tap after a save")
    assert tap.first.exit_codes()["extractors"] == 143
    events = [str(e.get("event", "")) for e in tap.first.events]
    assert not any(TARGET_SIGTERM_DRAIN in e for e in events)  # it drained at end of input


def test_given_the_tap_sigtermed_when_rerun_then_it_repeats_no_run(lab: Lab, plan: int) -> None:
    tap: Stopped = lab.result("SIGTERM the tap after a save")
    assert tap.rerun is not None
    assert tap.rerun.returncode == 0, tap.rerun.text[-3000:]
    log.info(
        "SIGTERM to the tap: %s before, %s rerun, %s repeated",
        tap.runs_before,
        tap.rerun_runs,
        tap.repeated(plan),
    )
    assert tap.repeated(plan) <= MAY_REPEAT


# --- SIGTERM or SIGINT to the whole process group (a scheduler's timeout, Ctrl-C) --------

GROUP_STOPS = [
    "SIGTERM the group before a save",
    "SIGTERM the group after a save",
    "SIGINT the group before a save",
    "SIGINT the group after a save",
]


@pytest.mark.parametrize("scenario", GROUP_STOPS)
def test_given_the_process_group_stopped_when_rerun_then_no_run_is_created_twice(
    lab: Lab, plan: int, scenario: str
) -> None:
    outcome: Stopped = lab.result(scenario)
    assert outcome.rerun is not None
    assert outcome.rerun.returncode == 0, outcome.rerun.text[-3000:]
    assert outcome.runs_before >= 3
    log.info(
        "%s: exit %s, state kept: %s, %s runs before, the rerun created %s and read %s "
        "from the journal",
        scenario,
        outcome.first.returncode,
        "none" if not outcome.left else "yes",
        outcome.runs_before,
        outcome.rerun_runs,
        journaled(outcome.rerun),
    )
    assert outcome.repeated(plan) <= MAY_REPEAT


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
    started = [e for e in tap.overlap.events if e.get("name") in plugins(tap.pipeline)]
    assert not started  # neither plugin started


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
        *GROUP_STOPS,
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
