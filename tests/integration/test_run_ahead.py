"""Issue "Use the account's whole budget": runs ahead within the cap, resumed after a crash.

Against the sandbox with its real limits (3 running runs, 100 requests a minute), which
answers 429 to a fourth running run: its log and its run list are the oracle.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tests.inprocess import sync
from tests.truth import REPORT_STREAMS, active_mailbox_ids

from .conftest import TapRun, kill_tap_when, run_tap, tap_config
from .test_scenarios import END, START, assert_matches_truth

if TYPE_CHECKING:
    from pathlib import Path

    from emailgistics_sandbox import Sandbox, SandboxControl

#: Polls follow each run's progress, between a short floor and a cap above a run's length.
POLLING = {"poll_initial_seconds": 0.05, "poll_max_seconds": 2, "poll_jitter": 0}


def two_mailboxes(control: SandboxControl, base_url: str, **overrides: Any) -> dict[str, Any]:
    ids = active_mailbox_ids(control)[:2]
    return tap_config(
        base_url, start_date=START, end_date=END, mailbox_ids=ids, **POLLING, **overrides
    )


def result_id(path: str) -> str:
    return path.split("?", maxsplit=1)[0].rsplit("/", 1)[-1]


def test_given_max_concurrent_runs_1_when_synced_then_each_run_is_read_before_the_next_starts(
    sandbox: Sandbox, control: SandboxControl
) -> None:
    control.update_settings(runSeconds=0.3)
    config = two_mailboxes(control, sandbox.base_url, max_concurrent_runs=1)
    done = sync(config, set(REPORT_STREAMS))
    assert done.error is None
    log = [r for r in control.requests() if r["path"].startswith("/api/v1/reports")]
    # Between two POSTs every request reads one result: the run the first POST created.
    segments: list[set[str]] = []
    for request in log:
        if request["method"] == "POST":
            segments.append(set())
        else:
            segments[-1].add(result_id(request["path"]))
    assert len(segments) == 6  # 3 report streams x 2 mailboxes x 1 window
    assert all(len(ids) == 1 for ids in segments)
    assert len(set().union(*segments)) == 6  # no run read again after the next began
    assert control.runs()["peakRunning"] == 1
    run = TapRun.of(0, done.messages)
    assert_matches_truth(control, [run], config["mailbox_ids"])


def test_given_three_slots_when_synced_then_three_run_at_once_and_none_is_refused(
    sandbox: Sandbox, control: SandboxControl
) -> None:
    control.update_settings(runSeconds=0.5)
    config = two_mailboxes(control, sandbox.base_url, window_days={"day": 5})
    done = sync(config, set(REPORT_STREAMS))
    assert done.error is None
    assert control.runs()["peakRunning"] == 3
    assert [r for r in control.requests() if r["status"] == 429] == []
    run = TapRun.of(0, done.messages)
    assert_matches_truth(control, [run], config["mailbox_ids"])


def test_given_posts_that_queue_then_fail_when_synced_then_orphans_count_against_the_cap(
    sandbox: Sandbox, control: SandboxControl
) -> None:
    control.update_settings(runSeconds=0.5)
    control.set_faults([{"kind": "queue_then_fail", "status": 502, "times": 2, "method": "POST"}])
    config = two_mailboxes(control, sandbox.base_url, window_days={"day": 5})
    done = sync(config, set(REPORT_STREAMS))
    assert done.error is None
    runs = control.runs()
    assert runs["orphans"] == 2
    assert runs["peakRunning"] <= 3  # the orphans ran too: the tap left them their slots
    assert [r for r in control.requests() if r["status"] == 429] == []
    run = TapRun.of(0, done.messages)
    assert_matches_truth(control, [run], config["mailbox_ids"])


@pytest.mark.slow
def test_given_another_client_using_two_slots_when_synced_then_rows_right_and_few_429s(
    sandbox: Sandbox, control: SandboxControl, caplog: pytest.LogCaptureFixture
) -> None:
    # The account's other client keeps two runs going all along (the sandbox's
    # neighbour): the tap must share the third slot, not keep POSTing into a full account.
    # (Requests per minute are not what this is about: benchmarks/account_scale.py
    # measures both limits at once.)
    control.update_settings(
        runSeconds=0.3, neighbourRuns=2, neighbourRunSeconds=2, requestsPerMinute=0
    )
    config = two_mailboxes(
        control, sandbox.base_url, window_days={"day": 2}, requests_per_minute=10_000
    )
    with caplog.at_level(logging.INFO):
        done = sync(config, set(REPORT_STREAMS))
    assert done.error is None
    runs = control.runs()
    assert runs["peakRunning"] <= 3
    log = control.requests()  # the tap's only: the neighbour's are not logged
    refused = [r for r in log if r["status"] == 429]
    assert len(refused) <= 0.10 * len(log), (len(refused), len(log))
    assert control.neighbour()["runsCreated"] > 2  # it kept working meanwhile
    assert "A report POST was answered 429: the account's run slots" in caplog.text
    run = TapRun.of(0, done.messages)
    assert_matches_truth(control, [run], config["mailbox_ids"])


def crash_with_runs_in_flight(
    config: dict[str, Any], tmp_path: Path, runs: int
) -> tuple[TapRun, set[str]]:
    """Run the tap until a STATE records ``runs`` runs in flight, then SIGKILL it."""
    killed = kill_tap_when(tmp_path, config, lambda line: line.count('"results"') >= runs)
    return killed, {result_id(run["results"]) for run in in_flight(killed.states[-1])}


def in_flight(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        run
        for stream in state["bookmarks"].values()
        for partition in stream.get("partitions", [])
        for run in partition.get("runs_in_flight", {}).values()
    ]


def test_given_a_crash_with_runs_in_flight_when_rerun_then_their_results_are_read_not_recreated(
    sandbox: Sandbox, control: SandboxControl, tmp_path: Path
) -> None:
    control.update_settings(runSeconds=3)
    config = two_mailboxes(control, sandbox.base_url, state_interval_seconds=0)
    killed, recorded = crash_with_runs_in_flight(config, tmp_path, 3)
    assert len(recorded) == 3
    control.clear_requests()
    control.update_settings(runSeconds=0.3)
    rerun = run_tap(tmp_path, config, state=killed.states[-1])
    assert rerun.returncode == 0, rerun.stderr
    log = control.requests()
    reads = {result_id(r["path"]) for r in log if r["method"] == "GET"}
    assert recorded <= reads  # the recorded runs were read again...
    posts = [r for r in log if r["method"] == "POST" and r["status"] == 200]
    assert len(posts) == 6 - 3  # ...and not created again: 6 runs planned, 3 resumed
    assert_matches_truth(control, [killed, rerun], config["mailbox_ids"])
    assert in_flight(rerun.states[-1]) == []


def test_given_a_recorded_run_that_is_gone_when_rerun_then_it_is_created_again(
    sandbox: Sandbox, control: SandboxControl, tmp_path: Path
) -> None:
    control.update_settings(runSeconds=3)
    config = two_mailboxes(control, sandbox.base_url, state_interval_seconds=0)
    killed, recorded = crash_with_runs_in_flight(config, tmp_path, 1)
    state = json.dumps(killed.states[-1])
    gone = str(uuid.uuid4())
    state = state.replace(next(iter(recorded)), gone)  # as if its result had expired
    control.clear_requests()
    control.update_settings(runSeconds=0.3)
    rerun = run_tap(tmp_path, config, state=json.loads(state))
    assert rerun.returncode == 0, rerun.stderr
    log = control.requests()
    assert [r["status"] for r in log if result_id(r["path"]) == gone] == [404]
    # Every run created anew, the gone one too (429s: the killed tap's runs still ran).
    assert len([r for r in log if r["method"] == "POST" and r["status"] == 200]) == 6
    assert_matches_truth(control, [killed, rerun], config["mailbox_ids"])
