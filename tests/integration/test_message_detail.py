"""Issue "Message-level data": received_message_detail, incremental by activity.

Against the sandbox over HTTP: three mailboxes in three zones, ten days, the clock
moved on between syncs. After every sync the upserted message rows equal the sandbox's
truth, no window that was final is asked for again, and every day's received count of
mailbox_performance equals the messages the tap extracted as received that day. The
engine's guarantees hold for these partitions too: a run in flight is resumed after a
kill, one mailbox's failure is its own, and a time budget defers without losing rows.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from emailgistics_sandbox import REPORTING_ONLY_KEY, Sandbox, SandboxControl, SandboxSettings
from tests.inprocess import Sync, catalog_for, sync
from tests.truth import (
    ACTIVITIES,
    MESSAGES,
    active_mailbox_ids,
    assert_equal_truth,
    message_truth,
)

from .conftest import TapRun, kill_tap_when, run_tap, tap_config
from .test_account_scale import budgeted_syncs, failed_lines, partitions

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

START = "2026-04-21"


def truth(
    control: SandboxControl, ids: list[str], end: str | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every message with an activity since START (to ``end``), as the API shows it now."""
    return message_truth(control, ids, START, end)


def upsert(rows: dict[tuple[str, str], dict[str, Any]], done: Sync | TapRun) -> None:
    for row in done.rows(MESSAGES):
        rows[row["mailboxId"], row["messageId"]] = row


def upserted(*runs: Sync | TapRun) -> dict[tuple[str, str], dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for run in runs:
        upsert(rows, run)
    return rows


def received_per_day(
    messages: dict[tuple[str, str], dict[str, Any]], zones: dict[str, ZoneInfo]
) -> Counter[tuple[str, str]]:
    """The upserted messages by the mailbox-local day they were received."""
    counts: Counter[tuple[str, str]] = Counter()
    for (mailbox, _), row in messages.items():
        local = datetime.fromisoformat(row["receivedDateTime"]).astimezone(zones[mailbox])
        counts[mailbox, local.date().isoformat()] += 1
    return counts


def test_given_three_zones_and_ten_days_when_synced_as_the_clock_moves_then_rows_equal_truth(
    sandbox: Sandbox, control: SandboxControl
) -> None:
    ids = active_mailbox_ids(control)[:3]
    zones = {m["mailboxId"]: ZoneInfo(m["timeZone"]) for m in control.mailboxes()}
    assert len({zones[m] for m in ids}) == 3
    config = tap_config(sandbox.base_url, mailbox_ids=ids, start_date=START, end_date=None)
    upserted: dict[tuple[str, str], dict[str, Any]] = {}
    state = None
    for advance in (0, 1, 2):
        control.advance(days=advance)
        control.clear_requests()
        done = sync(config, {MESSAGES, "mailbox_performance"}, state)
        assert done.error is None
        upsert(upserted, done)
        assert_equal_truth(upserted, truth(control, ids))
        posts = [r["body"] for r in control.requests() if r["path"].endswith("MessageDetail")]
        assert_nothing_final_asked_again(posts, state)
        assert_received_agrees_with_mailbox_performance(done, upserted, zones)
        state = done.state


def assert_nothing_final_asked_again(posts: list[dict[str, Any]], state: Any) -> None:
    if state is None:
        return
    bookmarks = {
        (p["context"]["mailboxId"], p["context"]["activityType"]): p["provisional_from"]
        for p in state["bookmarks"][MESSAGES]["partitions"]
    }
    assert {(p["mailboxId"], p["activityType"]) for p in posts} == set(bookmarks)
    for post in posts:
        assert post["activityStart"] == bookmarks[post["mailboxId"], post["activityType"]]


def assert_received_agrees_with_mailbox_performance(
    done: Sync, upserted: dict[tuple[str, str], dict[str, Any]], zones: dict[str, ZoneInfo]
) -> None:
    """Every day this sync extracted: received = the messages the tap has for that day."""
    received = {
        (row["mailboxId"], row["startDateTime"][:10]): row["received"]
        for row in done.rows("mailbox_performance")
    }
    assert received
    counted = received_per_day(upserted, zones)
    for day, count in received.items():
        assert counted.get(day, 0) == count, day


def test_given_a_key_without_messages_read_when_synced_then_one_line_names_the_scope(
    sandbox: Sandbox, control: SandboxControl, tmp_path: Path
) -> None:
    ids = active_mailbox_ids(control)[:1]
    config = tap_config(sandbox.base_url, api_key=REPORTING_ONLY_KEY, mailbox_ids=ids)
    catalog = catalog_for(config, {MESSAGES, "mailbox_performance"})
    run = run_tap(tmp_path, config, catalog=catalog)
    assert run.returncode == 3  # the other stream was extracted
    assert run.rows("mailbox_performance")
    failed = [
        line.split("| Failed: ", 1)[1] for line in run.stderr.splitlines() if "| Failed: " in line
    ]
    assert len(failed) == len(ACTIVITIES)
    assert all(
        "The API key lacks messages:read, which received_message_detail" in f for f in failed
    )


END = "2026-05-01"
POLLING = {"poll_initial_seconds": 0.05, "poll_max_seconds": 1, "poll_jitter": 0}


@pytest.fixture
def slow_runs() -> Iterator[Sandbox]:
    """Runs that take a second, so a sync can be killed or cut short with runs in flight."""
    with Sandbox(SandboxSettings(run_seconds=1.0, requests_per_minute=0)) as running:
        yield running


def three_mailboxes(control: SandboxControl, base_url: str, **overrides: Any) -> dict[str, Any]:
    """Ten days of three mailboxes' messages, in windows of about two days."""
    ids = active_mailbox_ids(control)[:3]
    return tap_config(
        base_url,
        start_date=START,
        end_date=END,
        mailbox_ids=ids,
        **{"rows_per_run": 400, **POLLING, **overrides},
    )


@pytest.mark.slow
def test_given_a_sync_killed_with_message_runs_in_flight_when_rerun_then_nothing_is_lost(
    slow_runs: Sandbox, tmp_path: Path
) -> None:
    control = SandboxControl(slow_runs.base_url)
    config = three_mailboxes(control, slow_runs.base_url, state_interval_seconds=0)
    catalog = catalog_for(config, {MESSAGES})
    killed = kill_tap_when(
        tmp_path, config, lambda line: line.count('"results"') >= 2, catalog=catalog
    )
    assert "runs_in_flight" in str(killed.states[-1])
    rerun = run_tap(tmp_path, config, state=killed.states[-1], catalog=catalog)
    assert rerun.returncode == 0, rerun.stderr
    resumed = re.search(r"(\d+) resumed from state", rerun.stderr)
    assert resumed is not None
    assert int(resumed.group(1)) >= 1  # the killed sync's runs were read, not re-created
    assert_equal_truth(upserted(killed, rerun), truth(control, config["mailbox_ids"], END))


@pytest.mark.slow
def test_given_a_mailbox_whose_message_runs_fail_when_synced_then_only_it_fails_and_recovers(
    sandbox: Sandbox, control: SandboxControl, tmp_path: Path
) -> None:
    config = three_mailboxes(control, sandbox.base_url, run_error_retries=1)
    catalog = catalog_for(config, {MESSAGES})
    bad = config["mailbox_ids"][1]
    control.set_faults([{"kind": "run_error", "mailbox_id": bad}])
    first = run_tap(tmp_path, config, catalog=catalog)
    assert first.returncode == 3
    failed = failed_lines(first.stderr)
    assert sorted(line.split(": Report run failed")[0] for line in failed) == [
        f"{MESSAGES}, mailbox {bad}, activity {activity}" for activity in sorted(ACTIVITIES)
    ]
    good = [m for m in config["mailbox_ids"] if m != bad]
    assert_equal_truth(upserted(first), truth(control, good, END))
    held = partitions(first.states[-1], MESSAGES)
    assert "provisional_from" not in held.get(bad, {})  # its bookmarks did not move
    control.set_faults([])
    second = run_tap(tmp_path, config, state=first.states[-1], catalog=catalog)
    assert second.returncode == 0, second.stderr
    assert_equal_truth(upserted(first, second), truth(control, config["mailbox_ids"], END))


@pytest.mark.slow
def test_given_a_time_budget_when_message_syncs_repeat_then_each_ends_with_0_and_all_rows_arrive(
    slow_runs: Sandbox, tmp_path: Path
) -> None:
    control = SandboxControl(slow_runs.base_url)
    # One run at a time: 18 runs of 1 s or more take 18 s, which a 6 s budget cuts
    # short whatever the machine's speed (three at once could fit in one budget).
    budget = {"time_budget_minutes": 0.1, "requests_per_minute": 10_000, "rows_per_run": 1000}
    config = three_mailboxes(control, slow_runs.base_url, max_concurrent_runs=1, **budget)
    runs = budgeted_syncs(tmp_path, config, None, catalog=catalog_for(config, {MESSAGES}))
    assert len(runs) >= 2  # the budget really cut the work short
    assert_equal_truth(upserted(*runs), truth(control, config["mailbox_ids"], END))
