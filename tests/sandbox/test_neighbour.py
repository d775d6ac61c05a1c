"""Another client of the same account: its runs take slots and its requests the budget."""

from __future__ import annotations

import time
from typing import Any

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings

from .conftest import DOCS_MAILBOX, Api, wait_until

QUIET_DAYS = {  # before the sandbox's activity starts: three cheap rows
    "mailboxId": DOCS_MAILBOX,
    "start": "2025-06-01T00:00:00",
    "end": "2025-06-03T23:59:59",
    "period": "day",
}


def shared_account(**changes: Any) -> Sandbox:
    """A sandbox with the documented 3-run cap and a neighbour, as ``changes`` say."""
    settings: dict[str, Any] = {"run_seconds": 5.0, "requests_per_minute": 0, **changes}
    return Sandbox(SandboxSettings(**settings))


def test_given_a_neighbour_with_two_runs_when_a_client_posts_twice_then_the_second_gets_429() -> (
    None
):
    with shared_account(neighbour_runs=2) as sandbox:
        api = Api(sandbox.base_url)
        assert SandboxControl(sandbox.base_url).neighbour()["running"] == 2
        first = api.post("mailboxPerformance", QUIET_DAYS)
        second = api.post("mailboxPerformance", QUIET_DAYS)
    assert first.status_code == 200
    assert second.status_code == 429
    assert second.json()["error"] == {"code": "429", "message": "Rate limit exceeded."}
    assert 1 <= int(second.headers["Retry-After"]) <= 5


def test_given_a_neighbour_when_its_runs_finish_then_it_reads_each_and_creates_another() -> None:
    with shared_account(neighbour_runs=2, neighbour_run_seconds=0.1) as sandbox:
        control = SandboxControl(sandbox.base_url)
        wait_until(lambda: control.neighbour()["runsRead"] >= 4)
        counters = control.neighbour()
    assert counters["runsCreated"] >= counters["runsRead"] + 1
    assert counters["requestsMade"] >= counters["runsCreated"] + counters["runsRead"]
    assert counters["creationsRefused"] == counters["requestsRefused"] == 0


def test_given_a_neighbour_and_a_client_when_listing_runs_then_each_run_names_its_key() -> None:
    with shared_account(neighbour_runs=1) as sandbox:
        Api(sandbox.base_url).post("mailboxPerformance", QUIET_DAYS)
        runs = SandboxControl(sandbox.base_url).runs()["runs"]
    assert sorted(run["key"] for run in runs) == ["full", "neighbour"]


def test_given_a_busy_neighbour_when_reading_the_request_log_then_only_the_client_is_there() -> (
    None
):
    with shared_account(neighbour_runs=2, neighbour_run_seconds=0.05) as sandbox:
        control = SandboxControl(sandbox.base_url)
        wait_until(lambda: control.neighbour()["requestsMade"] >= 8)
        Api(sandbox.base_url).get("/api/v1/admin/mailboxes")
        log = control.requests()
    assert [(entry["path"], entry["key"]) for entry in log] == [("/api/v1/admin/mailboxes", "full")]


def test_given_a_neighbour_when_the_request_budget_is_spent_then_both_clients_get_429() -> None:
    # 4 requests a minute: the neighbour's 2 creations and 2 reads use all of them.
    with shared_account(
        neighbour_runs=2, neighbour_run_seconds=0.05, requests_per_minute=4
    ) as sandbox:
        control = SandboxControl(sandbox.base_url)
        wait_until(lambda: control.neighbour()["requestsRefused"] >= 1)
        refused = Api(sandbox.base_url).get("/api/v1/admin/mailboxes")
        counters = control.neighbour()
    assert refused.status_code == 429
    assert counters["requestsMade"] - counters["requestsRefused"] == 4


def test_given_the_knob_at_zero_when_the_neighbours_runs_end_then_the_client_gets_every_slot() -> (
    None
):
    with shared_account(neighbour_runs=3, neighbour_run_seconds=0.5) as sandbox:
        api, control = Api(sandbox.base_url), SandboxControl(sandbox.base_url)
        assert api.post("mailboxPerformance", QUIET_DAYS).status_code == 429
        control.update_settings(neighbourRuns=0)
        wait_until(lambda: control.neighbour()["running"] == 0)
        codes = [api.post("mailboxPerformance", QUIET_DAYS).status_code for _ in range(3)]
    assert codes == [200, 200, 200]


def test_given_a_client_on_every_slot_when_the_neighbour_wants_one_then_it_waits_retry_after() -> (
    None
):
    with shared_account(run_seconds=1.0) as sandbox:
        api, control = Api(sandbox.base_url), SandboxControl(sandbox.base_url)
        assert [api.post("mailboxPerformance", QUIET_DAYS).status_code for _ in range(3)] == [
            200
        ] * 3
        control.update_settings(neighbourRuns=1)
        wait_until(lambda: control.neighbour()["runsCreated"] == 1)
        counters = control.neighbour()
    # Refused once, then it waited out the Retry-After (1 s) instead of asking each tick.
    assert counters["creationsRefused"] == 1


def test_given_a_neighbour_and_an_eager_client_when_they_compete_then_peak_running_is_the_cap() -> (
    None
):
    with shared_account(run_seconds=0.15, neighbour_runs=2, neighbour_run_seconds=0.15) as sandbox:
        api = Api(sandbox.base_url)
        codes = set()
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            codes.add(api.post("mailboxPerformance", QUIET_DAYS).status_code)
        runs = SandboxControl(sandbox.base_url).runs()
    assert codes == {200, 429}
    assert runs["peakRunning"] == 3


def test_given_a_stopped_sandbox_when_time_passes_then_the_neighbour_creates_no_more_runs() -> None:
    sandbox = shared_account(neighbour_runs=2, neighbour_run_seconds=0.05).start()
    time.sleep(0.2)
    sandbox.stop()
    created = len(sandbox.state.runs.all())
    time.sleep(0.3)
    assert len(sandbox.state.runs.all()) == created
