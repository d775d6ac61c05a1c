"""Issue "Operate at account scale": isolation, cheap backfills, a time budget, resilience.

Each test runs the tap against the sandbox over real HTTP (as a process where the exit
code and the last lines matter), with the sandbox's real limits unless it says so.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

import pytest

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings
from tests.inprocess import sync
from tests.truth import REPORT_STREAMS, active_mailbox_ids

from .conftest import TapRun, kill_tap_when, run_tap, tap_config
from .test_scenarios import END, START, assert_matches_truth

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PREFIX = "tap-emailgistics: error: "
POLLING = {"poll_initial_seconds": 0.05, "poll_max_seconds": 2, "poll_jitter": 0}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(run_seconds=0.05)) as running:
        yield running


def three_mailboxes(control: SandboxControl, base_url: str, **overrides: Any) -> dict[str, Any]:
    ids = active_mailbox_ids(control)[:3]
    return tap_config(
        base_url, start_date=START, end_date=END, mailbox_ids=ids, **POLLING, **overrides
    )


def failed_lines(stderr: str) -> list[str]:
    return [line.split("| Failed: ", 1)[1] for line in stderr.splitlines() if "| Failed: " in line]


def partitions(state: dict[str, Any], stream: str) -> dict[str, dict[str, Any]]:
    entry = state["bookmarks"].get(stream) or {}
    return {p["context"]["mailboxId"]: p for p in entry.get("partitions", [])}


def test_given_a_mailbox_whose_runs_always_fail_when_synced_then_only_it_fails_and_recovers(
    sandbox: Sandbox, control: SandboxControl, tmp_path: Path
) -> None:
    config = three_mailboxes(control, sandbox.base_url, run_error_retries=1)
    bad = config["mailbox_ids"][1]
    control.set_faults([{"kind": "run_error", "mailbox_id": bad}])
    first = run_tap(tmp_path, config)
    assert first.returncode == 3
    last = first.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{PREFIX}3 of 9 partitions failed (listed above); ")
    failed = failed_lines(first.stderr)
    assert sorted(line.split(",")[0] for line in failed) == sorted(REPORT_STREAMS)
    assert all(f", mailbox {bad}, period day: Report run failed: " in line for line in failed)
    good = [m for m in config["mailbox_ids"] if m != bad]
    assert_matches_truth(control, [first], good)  # the others: extracted and bookmarked
    state = first.states[-1]
    for stream in REPORT_STREAMS:
        held = partitions(state, stream)
        assert "provisional_from" not in held[bad]  # its bookmark did not move
        assert "runs_in_flight" not in held[bad]  # a run known to have failed is dropped
        assert all(held[m]["provisional_from"] == "2026-05-01T00:00:00" for m in good)
    assert not any(r["mailboxId"] == bad for s in REPORT_STREAMS for r in first.rows(s))
    control.set_faults([])
    second = run_tap(tmp_path, config, state=state)
    assert second.returncode == 0, second.stderr
    assert_matches_truth(control, [first, second], config["mailbox_ids"])


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (
            {"kind": "http_error", "status": 404, "method": "POST"},
            "is not in this key's allowlist, or does not exist",
        ),
        ({"kind": "malformed_answer", "shape": "no_start"}, "a row's startDateTime cannot be read"),
    ],
    ids=["404 for its mailbox", "a malformed answer"],
)
def test_given_one_mailbox_refused_or_unreadable_when_synced_then_only_it_fails_with_its_reason(
    sandbox: Sandbox,
    control: SandboxControl,
    tmp_path: Path,
    fault: dict[str, Any],
    reason: str,
) -> None:
    control.update_settings(instantRows=1000)  # the POST answers done, with its rows
    config = three_mailboxes(control, sandbox.base_url)
    bad = config["mailbox_ids"][2]
    control.set_faults([{**fault, "mailbox_id": bad}])
    run = run_tap(tmp_path, config)
    assert run.returncode == 3
    failed = failed_lines(run.stderr)
    assert len(failed) == 3
    assert all(f"mailbox {bad}" in line and reason in line for line in failed)
    assert_matches_truth(control, [run], config["mailbox_ids"][:2])


def test_given_the_key_refused_for_one_mailbox_when_synced_then_the_whole_sync_stops_at_once(
    sandbox: Sandbox, control: SandboxControl, tmp_path: Path
) -> None:
    config = three_mailboxes(control, sandbox.base_url, max_concurrent_runs=1)
    bad = config["mailbox_ids"][0]
    control.set_faults([{"kind": "http_error", "status": 401, "method": "POST", "mailbox_id": bad}])
    run = run_tap(tmp_path, config)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1].startswith(f"{PREFIX}The API key was refused")
    statuses = [r["status"] for r in control.requests() if r["method"] == "POST"]
    assert statuses[-1] == 401  # nothing was asked after the key was refused


def test_given_a_10_mailbox_300_day_backfill_when_synced_then_one_run_per_partition() -> None:
    with Sandbox(SandboxSettings(run_seconds=0, extra_mailboxes=7)) as sandbox:
        control = SandboxControl(sandbox.base_url)
        ids = active_mailbox_ids(control)
        assert len(ids) == 10
        config = tap_config(
            sandbox.base_url, start_date="2025-07-05", end_date="2026-05-01", mailbox_ids=ids
        )
        done = sync(config, set(REPORT_STREAMS))
        assert done.error is None
        runs = control.runs()["runs"]
        log = control.requests()
    assert len(runs) == len(ids) * len(REPORT_STREAMS)  # one run per partition, not 4
    pages = sum(max(1, math.ceil(run["rows"] / 500)) for run in runs)
    one_run_each = len(runs) + (pages - len(runs)) + 1  # POSTs, further pages, the directory
    assert len(log) <= 1.1 * one_run_each


def test_given_a_run_past_its_deadline_when_its_window_has_many_periods_then_it_is_split(
    sandbox: Sandbox, control: SandboxControl, caplog: pytest.LogCaptureFixture
) -> None:
    # 26 daily rows take 0.2 + 26 x 0.15 = 4.1 s, past a 3 s deadline; 13 take 2.15 s.
    control.update_settings(runSeconds=0.2, runSecondsPerRow=0.15)
    config = three_mailboxes(control, sandbox.base_url, run_deadline_minutes=0.05)
    config |= {"mailbox_ids": config["mailbox_ids"][:1], "start_date": "2026-04-07"}
    done = sync(config, {"mailbox_performance"})
    assert done.error is None
    posts = [r["body"] for r in control.requests() if r["method"] == "POST"]
    assert [(p["start"], p["end"]) for p in posts] == [
        ("2026-04-07T00:00:00", "2026-05-02T23:59:59"),
        ("2026-04-07T00:00:00", "2026-04-19T23:59:59"),
        ("2026-04-20T00:00:00", "2026-05-02T23:59:59"),
    ]
    assert "Re-creating it as two windows, 2026-04-07T00:00:00 to 2026-04-20T00:00:00" in (
        caplog.text
    )
    rows = done.rows("mailbox_performance")
    assert len(rows) == len({r["startDateTimeUtc"] for r in rows}) == 26


BUDGETED = {"time_budget_minutes": 0.1, "window_days": {"day": 2}, "requests_per_minute": 10_000}
RUN_SECONDS = 1.0


def budgeted_syncs(
    tmp_path: Path,
    config: dict[str, Any],
    state: dict[str, Any] | None,
    catalog: dict[str, Any] | None = None,
) -> list[TapRun]:
    """Sync until a sync defers nothing (at most 8), each from the last one's STATE.

    How long each takes is the benchmark's to measure (benchmarks/account_scale.py).
    """
    runs = []
    for _ in range(8):
        run = run_tap(tmp_path, config, state=state, catalog=catalog)
        assert run.returncode == 0, run.stderr
        runs.append(run)
        state = run.states[-1]
        if "deferred by the time budget" not in run.stderr:
            return runs
    pytest.fail("eight budgeted syncs did not finish the work")


@pytest.fixture
def slow_runs() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(run_seconds=RUN_SECONDS, requests_per_minute=0)) as running:
        yield running


@pytest.mark.slow
def test_given_a_time_budget_when_syncs_repeat_then_each_ends_with_0_and_all_rows_arrive(
    slow_runs: Sandbox, tmp_path: Path
) -> None:
    control = SandboxControl(slow_runs.base_url)
    config = three_mailboxes(control, slow_runs.base_url, **BUDGETED)  # 63 runs, 21 s or more
    runs = budgeted_syncs(tmp_path, config, None)
    assert len(runs) >= 3  # the budget really cut the work short
    assert "Time budget of 6 s spent: " in runs[0].stderr
    assert_matches_truth(control, runs, config["mailbox_ids"])


@pytest.mark.slow
def test_given_a_budgeted_sync_killed_with_runs_in_flight_when_rerun_then_nothing_is_lost(
    slow_runs: Sandbox, tmp_path: Path
) -> None:
    control = SandboxControl(slow_runs.base_url)
    config = three_mailboxes(control, slow_runs.base_url, state_interval_seconds=0, **BUDGETED)
    killed = kill_tap_when(tmp_path, config, lambda line: line.count('"results"') >= 2)
    runs = budgeted_syncs(tmp_path, config, killed.states[-1])
    resumed = re.search(r"(\d+) resumed from state", runs[0].stderr)
    assert resumed is not None
    assert int(resumed.group(1)) >= 1  # the killed sync's runs were read, not re-created
    assert_matches_truth(control, [killed, *runs], config["mailbox_ids"])


def test_given_a_recorded_run_that_ended_in_error_when_rerun_then_recreated_without_its_budget(
    tmp_path: Path,
) -> None:
    with Sandbox(SandboxSettings(run_seconds=2)) as sandbox:
        control = SandboxControl(sandbox.base_url)
        config = three_mailboxes(control, sandbox.base_url, state_interval_seconds=0)
        config["mailbox_ids"] = config["mailbox_ids"][:1]
        control.set_faults([{"kind": "run_error"}])  # every run in flight will end in error
        killed = kill_tap_when(tmp_path, config, lambda line: line.count('"results"') >= 1)
        control.set_faults([])
        control.update_settings(runSeconds=0.05)
        rerun = run_tap(tmp_path, {**config, "run_error_retries": 0}, state=killed.states[-1])
        assert rerun.returncode == 0, rerun.stderr  # the old error spent nothing of this sync's
        assert_matches_truth(control, [killed, rerun], config["mailbox_ids"])
        assert "runs_in_flight" not in json.dumps(rerun.states[-1])


def info_lines(stderr: str) -> list[str]:
    """What a person reads at INFO, the SDK's metric lines aside."""
    return [line for line in stderr.splitlines() if "| INFO " in line and "METRIC" not in line]


def test_given_7x_the_runs_when_logged_at_info_then_the_same_number_of_lines(
    sandbox: Sandbox, control: SandboxControl, tmp_path: Path
) -> None:
    control.update_settings(requestsPerMinute=0)  # the pace is not what this is about
    few = three_mailboxes(control, sandbox.base_url, requests_per_minute=10_000)
    many = {**few, "window_days": {"day": 2}}  # 63 runs instead of 9
    quiet, busy = run_tap(tmp_path, few), run_tap(tmp_path, many)
    assert quiet.returncode == busy.returncode == 0
    assert len(info_lines(busy.stderr)) == len(info_lines(quiet.stderr)) <= 25
    summary = [line for line in info_lines(busy.stderr) if "| Sync summary: " in line]
    assert len(summary) == 1
    assert " 63 runs (63 attempts, 0 resumed from state, 0 from the run journal); " in summary[0]
    for line in info_lines(busy.stderr):
        assert not re.search(r"\b0\.0 s\b|about 0 s left|time left unknown|Paced ", line), line
