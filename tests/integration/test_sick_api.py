"""Issue "A sick or busy API costs a sync minutes": faults end fast and stall nothing.

In-process against the sandbox over real HTTP. The waits are skipped (``tests.warp``):
time moves on as the tap waits, so a sync's elapsed time here is what it would take for
real, in a fraction of it; a tap whose waits blocked each other would show it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings
from tap_emailgistics.errors import ApiFailingError, PartitionsFailedError, ReportFailingError
from tests.inprocess import Sync, sync
from tests.truth import REPORT_STREAMS, active_mailbox_ids
from tests.warp import warp_time

from .conftest import tap_config, unlimited
from .test_scenarios import END, START, assert_matches_truth

if TYPE_CHECKING:
    from collections.abc import Iterator

RESULTS = "/api/v1/reports/results/"
#: One request's retry budget: 8 tries, waiting 2, 4, 8, 16, 32, 64 and 120 s between.
RETRY_BUDGET = 246.0
STREAMS = set(REPORT_STREAMS)
POLLING = {"poll_initial_seconds": 0.5, "poll_max_seconds": 2, "poll_jitter": 0}
LAST_PAGE_FAULTS = [
    {"kind": "http_error", "status": 500},
    {"kind": "connection_reset"},
    {"kind": "truncated_json"},
]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    # Ten active mailboxes: the three of the documentation's examples, and seven more.
    with Sandbox(replace(unlimited(run_seconds=0.5), extra_mailboxes=7)) as running:
        yield running


def config_for(control: SandboxControl, base_url: str, mailboxes: int) -> dict[str, Any]:
    ids = active_mailbox_ids(control)[:mailboxes]
    assert len(ids) == mailboxes
    return tap_config(base_url, start_date=START, end_date=END, mailbox_ids=ids, **POLLING)


def timed_sync(config: dict[str, Any], state: dict[str, Any] | None = None) -> tuple[Sync, float]:
    """One sync of the default report streams, and how long it took on the warped clock."""
    started = time.monotonic()
    done = sync(config, STREAMS, state)
    return done, time.monotonic() - started


def retries(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Retrying")]


@pytest.mark.parametrize("fault", LAST_PAGE_FAULTS, ids=["500", "reset", "cut off"])
@pytest.mark.parametrize("mailboxes", [3, 10])
def test_given_every_results_last_page_failing_when_synced_then_a_clean_exit_2_within_two_budgets(
    sandbox: Sandbox,
    control: SandboxControl,
    monkeypatch: pytest.MonkeyPatch,
    fault: dict[str, Any],
    mailboxes: int,
) -> None:
    warp_time(monkeypatch)
    control.set_faults([{**fault, "path": RESULTS, "method": "GET", "page": "last"}])
    done, took = timed_sync(config_for(control, sandbox.base_url, mailboxes))
    assert isinstance(done.error, ApiFailingError)
    assert done.error.exit_code == 2
    assert str(done.error).startswith("Requests of two reports kept failing (")
    assert "the API is failing for this account, not one mailbox or report" in str(done.error)
    assert took <= 2 * RETRY_BUDGET
    assert done.state is not None  # written on the way out
    assert not done.rows("mailbox_performance")  # nothing unverified was kept as final


def test_given_one_mailboxs_results_always_failing_when_synced_then_only_it_fails_within_a_budget(
    sandbox: Sandbox,
    control: SandboxControl,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    warp_time(monkeypatch)
    config = config_for(control, sandbox.base_url, 10)
    healthy, healthy_took = timed_sync(config)
    assert healthy.error is None
    bad = config["mailbox_ids"][3]
    control.set_faults([{"kind": "http_error", "status": 503, "path": RESULTS, "mailbox_id": bad}])
    with caplog.at_level(logging.DEBUG):
        done, took = timed_sync(config)
    assert isinstance(done.error, PartitionsFailedError)
    failed = dict(done.error.failures)
    assert set(failed) == {(stream, bad, "day") for stream in STREAMS}
    kinds = sorted(type(error).__name__ for error in failed.values())
    assert kinds == ["MailboxFailingError", "MailboxFailingError", "RunTransportGaveUpError"]
    # One partition spends the retry budget; the mailbox's others give up at their second try.
    assert len(retries(caplog)) == 7 + 2
    assert took <= healthy_took + RETRY_BUDGET + 60
    others = [m for m in config["mailbox_ids"] if m != bad]
    assert_matches_truth(control, [done], others)


def test_given_one_reports_last_pages_failing_when_synced_then_the_others_are_extracted(
    sandbox: Sandbox,
    control: SandboxControl,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    warp_time(monkeypatch)
    config = config_for(control, sandbox.base_url, 4)
    report = "mailboxDomainPerformance"
    rule = {"kind": "http_error", "status": 500, "path": RESULTS, "page": "last", "report": report}
    control.set_faults([rule])
    with caplog.at_level(logging.WARNING):
        done, took = timed_sync(config)
    assert isinstance(done.error, PartitionsFailedError)
    failed = dict(done.error.failures)
    assert {stream for stream, _, _ in failed} == {"domain_performance"}
    assert len(failed) == 4  # every mailbox's domain partition, with one error
    [fault] = {id(error): error for error in failed.values()}.values()
    assert isinstance(fault, ReportFailingError)
    assert str(fault).startswith(f"Report {report}: polling runs kept failing for 3 mailboxes")
    assert took <= 2 * RETRY_BUDGET
    named = [r for r in caplog.records if r.getMessage().startswith(f"Report {report}:")]
    assert len(named) == 1
    assert not [r for r in caplog.records if "failed, the other partitions go on" in r.getMessage()]
    for stream in ("mailbox_performance", "user_performance"):
        assert len(done.bookmarks(stream)) == 4
    control.set_faults([])
    rerun, _ = timed_sync(config, done.state)
    assert rerun.error is None
    assert_matches_truth(control, [done, rerun], config["mailbox_ids"])


def test_given_every_page_failing_under_a_time_budget_when_synced_then_exit_0_on_time(
    sandbox: Sandbox,
    control: SandboxControl,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warp_time(monkeypatch)
    config = {**config_for(control, sandbox.base_url, 3), "time_budget_minutes": 1}
    control.set_faults([{"kind": "http_error", "status": 500, "path": RESULTS, "page": "last"}])
    done, took = timed_sync(config)
    assert done.error is None  # deferred by the budget: no failure
    run_length = 0.5
    assert took <= 60 + 2 * run_length + 10
    parked = [
        p
        for stream in STREAMS
        for p in done.state["bookmarks"].get(stream, {}).get("partitions", [])  # type: ignore[index]
        if p.get("runs_in_flight")
    ]
    assert parked  # the runs waiting for their next try are kept, to be read next time
    control.set_faults([])
    second, _ = timed_sync({**config, "time_budget_minutes": None}, done.state)
    assert second.error is None
    assert_matches_truth(control, [done, second], config["mailbox_ids"])


def test_given_a_long_retry_wait_when_synced_then_the_other_mailboxes_move_meanwhile(
    sandbox: Sandbox,
    control: SandboxControl,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warp_time(monkeypatch)
    config = config_for(control, sandbox.base_url, 3)
    first = config["mailbox_ids"][0]
    # The first mailbox's first result read fails once; its next try waits 2 s.
    rule = {"kind": "http_error", "status": 503, "path": RESULTS, "mailbox_id": first, "times": 1}
    control.set_faults([rule])
    done, _ = timed_sync(config)
    assert done.error is None
    log = control.requests()
    failed_at = next(i for i, r in enumerate(log) if r["status"] == 503)
    retried_at = next(
        i for i, r in enumerate(log) if i > failed_at and r["path"] == log[failed_at]["path"]
    )
    between = log[failed_at + 1 : retried_at]
    assert any(r["method"] == "GET" for r in between)  # other runs were polled meanwhile
    assert_matches_truth(control, [done], config["mailbox_ids"])


@pytest.mark.parametrize("carried", [True, False], ids=["minute carried", "minute dropped"])
def test_given_a_sync_right_after_another_when_run_then_it_does_not_spend_the_same_minute(
    monkeypatch: pytest.MonkeyPatch, *, carried: bool
) -> None:
    warp_time(monkeypatch)
    # An account of 40 requests a minute, paced at 36 by the tap: the first sync spends
    # its last minute, and the next one starts in it.
    settings = replace(SandboxSettings(run_seconds=0.05, requests_per_minute=40), extra_mailboxes=4)
    with Sandbox(settings) as sandbox:
        control = SandboxControl(sandbox.base_url)
        config = {**config_for(control, sandbox.base_url, 7), "requests_per_minute": 36}
        first, _ = timed_sync(config)
        assert first.error is None
        state = dict(first.state or {})
        recent = state.pop("requests_last_minute")
        assert sum(recent["per_second"]) >= 30
        if carried:
            state["requests_last_minute"] = recent
        control.clear_requests()
        second, _ = timed_sync(config, state)
        assert second.error is None
        limited = sum(1 for r in control.requests() if r["status"] == 429)
    if carried:
        assert limited == 0
    else:  # what the carried minute saves: the same sync runs into 429s
        assert limited > 0
