"""Sandbox scenarios: ground truth, finality-aware re-fetching, fault storms, crash recovery."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.inprocess import sync
from tests.truth import REPORT_STREAMS, active_mailbox_ids, primary_key, truth_by_key
from tests.warp import warp_time

from .conftest import TapRun, kill_tap_when, run_tap, tap_config

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from emailgistics_sandbox import Sandbox, SandboxControl

START, END = "2026-04-20", "2026-05-03"


def truth(control: SandboxControl, stream: str, mailbox_ids: list[str]) -> dict[Any, Any]:
    return truth_by_key(control, stream, mailbox_ids, START, "2026-05-02T23:59:59")


def extracted(runs: list[TapRun], stream: str) -> dict[Any, Any]:
    """Rows of several runs, the later run winning per primary key (an upsert)."""
    dimension = REPORT_STREAMS[stream][1]
    merged: dict[Any, Any] = {}
    for run in runs:
        for row in run.rows(stream):
            merged[primary_key(row, dimension)] = row
    return merged


def assert_matches_truth(control: SandboxControl, runs: list[TapRun], ids: list[str]) -> None:
    for stream in REPORT_STREAMS:
        expected, actual = truth(control, stream, ids), extracted(runs, stream)
        assert actual.keys() == expected.keys(), stream
        for pk, row in expected.items():
            assert {k: actual[pk].get(k) for k in row} == row, (stream, pk)


def report_posts(control: SandboxControl) -> list[dict[str, Any]]:
    return [r for r in control.requests() if r["method"] == "POST"]


def test_given_a_full_sync_when_compared_then_every_row_equals_the_ground_truth(
    sandbox: Sandbox,
    control: SandboxControl,
    tmp_path: Path,
) -> None:
    run = run_tap(tmp_path, tap_config(sandbox.base_url, start_date=START, end_date=END))
    assert run.returncode == 0, run.stderr
    assert_matches_truth(control, [run], active_mailbox_ids(control))
    rows = run.rows("mailbox_performance")
    assert all(r["dataCutoffTimestamp"] is None for r in rows if r["isFinal"])
    assert {r["isFinal"] for r in rows} == {True, False}


def test_given_state_when_rerun_and_after_a_day_then_only_provisional_periods_are_fetched(
    sandbox: Sandbox,
    control: SandboxControl,
    tmp_path: Path,
) -> None:
    config = tap_config(sandbox.base_url, start_date=START, end_date=END)
    first = run_tap(tmp_path, config)
    assert first.returncode == 0, first.stderr
    control.clear_requests()
    second = run_tap(tmp_path, config, state=first.states[-1])
    assert second.returncode == 0, second.stderr
    posts = report_posts(control)
    # Provisional days (from 2026-05-01 local) only; nothing before is asked again.
    assert posts
    assert {p["body"]["start"] for p in posts} == {"2026-05-01T00:00:00"}
    control.advance(days=1)
    control.clear_requests()
    third = run_tap(tmp_path, config, state=second.states[-1])
    assert third.returncode == 0, third.stderr
    assert {p["body"]["start"] for p in report_posts(control)} == {"2026-05-01T00:00:00"}
    assert_matches_truth(control, [first, second, third], active_mailbox_ids(control))
    before = {
        primary_key(r, None): r for r in first.rows("mailbox_performance") if not r["isFinal"]
    }
    after = {primary_key(r, None): r for r in third.rows("mailbox_performance")}
    assert any(after[k]["received"] != r["received"] for k, r in before.items())


def test_given_a_failure_in_mailbox_2_when_the_tap_stops_then_mailbox_1_keeps_its_bookmark(
    sandbox: Sandbox,
    control: SandboxControl,
    tmp_path: Path,
) -> None:
    first, second = active_mailbox_ids(control)[:2]
    control.set_faults([{"kind": "run_error", "mailbox_id": second}])
    config = tap_config(
        sandbox.base_url,
        start_date=START,
        end_date=END,
        mailbox_ids=[first, second],
        run_error_retries=1,
    )
    run = run_tap(tmp_path, config)
    assert run.returncode != 0
    assert "Report run failed" in run.stderr
    assert f"mailbox {second}" in run.stderr
    assert "Traceback" not in run.stderr
    # The first report stream synced got through mailbox 1 before mailbox 2 failed.
    bookmarks = run.states[-1]["bookmarks"]
    partitions = [p for stream in bookmarks.values() for p in stream.get("partitions", [])]
    saved = {
        p["context"]["mailboxId"]: p["provisional_from"]
        for p in partitions
        if "provisional_from" in p  # others record only runs in flight
    }
    assert saved[first] == "2026-05-01T00:00:00"
    assert saved.get(second) is None
    control.set_faults([])
    rerun = run_tap(tmp_path, config, state=run.states[-1])
    assert rerun.returncode == 0, rerun.stderr
    assert_matches_truth(control, [run, rerun], [first, second])


def test_given_a_storm_of_every_fault_when_synced_then_every_row_equals_the_ground_truth(
    sandbox: Sandbox,
    control: SandboxControl,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warp_time(monkeypatch)  # the retry waits
    reports = "/api/v1/reports/"  # the first request (the directory) stays clean
    control.set_faults(
        [
            {"kind": "connection_reset", "probability": 0.2, "path": reports, "method": "GET"},
            {"kind": "http_error", "probability": 0.2, "path": reports, "method": "GET"},
            {"kind": "truncated_json", "probability": 0.2, "path": reports, "method": "GET"},
            {"kind": "http_error", "status": 502, "times": 1, "method": "POST"},
            {"kind": "queue_then_fail", "times": 2},
            {"kind": "run_error", "times": 2},
            {"kind": "expire_mid_paging", "times": 1, "after_pages": 1},
        ]
    )
    ids = active_mailbox_ids(control)[:2]
    config = tap_config(
        sandbox.base_url,
        start_date=START,
        end_date=END,
        mailbox_ids=ids,
        page_size=20,  # several pages per run, within one minute's requests
        run_error_retries=6,  # a POST that fails spends the same budget as a failed run
    )
    done = sync(config, set(REPORT_STREAMS))
    assert done.error is None
    fired = [(f["kind"], f["fired"]) for f in control.faults()]
    assert all(times for _, times in fired), fired  # every fault really happened
    run = TapRun.of(0, done.messages)
    assert_matches_truth(control, [run], ids)


def test_given_sigkill_mid_run_when_rerun_from_the_last_state_then_nothing_lost_or_doubled(
    sandbox: Sandbox,
    control: SandboxControl,
    tmp_path: Path,
) -> None:
    ids = active_mailbox_ids(control)[:2]
    config = tap_config(
        sandbox.base_url, start_date=START, end_date=END, mailbox_ids=ids, window_days={"day": 3}
    )
    # Killed after the first STATE with a bookmark, and possibly a record of the next window.
    killed = kill_tap_when(tmp_path, config, lambda line: "provisional_from" in line, then_read=1)
    rerun = run_tap(tmp_path, config, state=killed.states[-1])
    assert rerun.returncode == 0, rerun.stderr
    assert_matches_truth(control, [killed, rerun], ids)
