"""Issue "A stopped pipeline pays for no report run twice": the run journal over real HTTP.

The tap runs as a process against the sandbox; it is SIGKILLed once rows arrive, with
runs still running, and its state is thrown away (as a stop of the whole process group
under Meltano does). The rerun reads the runs the killed process had created instead of
creating them again, and its rows are those of a fresh sync.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings
from tests.truth import active_mailbox_ids

from .conftest import TapRun, kill_tap_when, run_tap, tap_config
from .test_scenarios import END, START, assert_matches_truth

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

POLLING = {"poll_initial_seconds": 0.2, "poll_max_seconds": 1, "poll_jitter": 0}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(run_seconds=1.5)) as running:
        yield running


def config_for(control: SandboxControl, base_url: str, **more: Any) -> dict[str, Any]:
    ids = active_mailbox_ids(control)
    return tap_config(base_url, start_date=START, end_date=END, mailbox_ids=ids, **POLLING, **more)


def request_of(run: dict[str, Any]) -> str:
    return json.dumps([run["report"], run["body"]], sort_keys=True)


def killed_with_runs_in_flight(
    tmp_path: Path, control: SandboxControl, config: dict[str, Any]
) -> tuple[TapRun, set[str]]:
    """Kill the tap once its first rows are out; the requests of the runs it had read."""
    killed = kill_tap_when(tmp_path, config, lambda line: '"type":"RECORD"' in line)
    # A run the killed process polled was answered to it, so it was in its journal.
    read = {request_of(run) for run in control.runs()["runs"] if run["reads"] > 0}
    assert len(control.runs()["runs"]) < 9, "the kill came after the whole sync"
    return killed, read


def test_given_a_killed_sync_whose_state_was_lost_when_rerun_then_no_run_is_created_twice(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    control = SandboxControl(sandbox.base_url)
    config = config_for(control, sandbox.base_url)
    killed, read = killed_with_runs_in_flight(tmp_path, control, config)
    before = len(control.runs()["runs"])
    rerun = run_tap(tmp_path, config)  # no state: the pipeline kept none
    assert rerun.returncode == 0, rerun.stderr
    created_again = [run for run in control.runs()["runs"][before:] if request_of(run) in read]
    assert not created_again
    journaled = re.search(r"(\d+) from the run journal\)", rerun.stderr)
    assert journaled is not None
    assert int(journaled.group(1)) >= len(read) - 1  # the window being read, at most, re-read
    assert_matches_truth(control, [killed, rerun], config["mailbox_ids"])
    assert_matches_truth(control, [rerun], config["mailbox_ids"])  # the rerun alone: whole


def test_given_the_journal_turned_off_when_a_killed_sync_is_rerun_then_it_creates_them_again(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    control = SandboxControl(sandbox.base_url)
    config = config_for(control, sandbox.base_url, run_journal=False)
    _, read = killed_with_runs_in_flight(tmp_path, control, config)
    before = len(control.runs()["runs"])
    rerun = run_tap(tmp_path, config)
    assert rerun.returncode == 0, rerun.stderr
    assert {request_of(run) for run in control.runs()["runs"][before:]} >= read
    assert not list((tmp_path / "cache").glob("**/*.jsonl"))


def test_given_a_journaled_run_that_is_gone_when_rerun_then_it_is_created_again(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    control = SandboxControl(sandbox.base_url)
    config = config_for(control, sandbox.base_url)
    killed_with_runs_in_flight(tmp_path, control, config)
    control.advance(hours=25)  # every result the killed process created has expired
    rerun = run_tap(tmp_path, {**config, "end_date": END})
    assert rerun.returncode == 0, rerun.stderr
    assert_matches_truth(control, [rerun], config["mailbox_ids"])


def test_given_a_journal_folder_that_cannot_be_written_when_synced_then_a_warning_and_the_sync(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    control = SandboxControl(sandbox.base_url)
    (tmp_path / "blocked").write_text("a file, not a folder")
    config = config_for(control, sandbox.base_url, run_journal_dir=str(tmp_path / "blocked" / "j"))
    done = run_tap(tmp_path, config)
    assert done.returncode == 0, done.stderr
    assert "The run journal is off for this sync: " in done.stderr
    assert_matches_truth(control, [done], config["mailbox_ids"])
