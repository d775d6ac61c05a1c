"""Issue "Fail loud, clean and safe": failures the transport repeats, then reports once.

In-process against the sandbox over real HTTP, with the retry waits (``time.sleep``)
skipped: the waits themselves are unit-tested; here the count and the lines matter.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from emailgistics_sandbox import Sandbox, SandboxControl
from tap_emailgistics.errors import (
    EXIT_INCOMPLETE_DATA,
    ApiFailingError,
    PartitionsFailedError,
    RunTransportGaveUpError,
)
from tests.inprocess import sync
from tests.warp import warp_time

from .conftest import NEW_YORK, one_mailbox_config, unlimited

if TYPE_CHECKING:
    from collections.abc import Iterator

RESULTS = "/api/v1/reports/results/"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    # Runs stay 'running' briefly, so results are polled (where the faults are set).
    with Sandbox(unlimited(run_seconds=0.1)) as running:
        yield running


@pytest.fixture
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    return warp_time(monkeypatch).waits


def config(base_url: str, **overrides: Any) -> dict[str, Any]:
    return one_mailbox_config(
        base_url, poll_initial_seconds=0.05, poll_max_seconds=0.05, **overrides
    )


@pytest.mark.usefixtures("no_waiting")
@pytest.mark.parametrize(
    ("fault", "last"),
    [
        ({"kind": "http_error", "status": 503}, "HTTP 503: Transient server error. The"),
        ({"kind": "connection_reset"}, "ConnectionError (connection reset). The"),
        ({"kind": "truncated_json"}, "Incomplete JSON body. The"),
    ],
    ids=["5xx", "reset after the host answered", "cut-off body"],
)
def test_given_every_try_of_a_poll_fails_when_run_then_a_debug_line_each_and_one_warning(
    sandbox: Sandbox,
    control: SandboxControl,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
    last: str,
) -> None:
    control.set_faults([{**fault, "path": RESULTS, "method": "GET"}])
    with caplog.at_level(logging.DEBUG):
        done = sync(config(sandbox.base_url), {"mailbox_performance"})
    assert isinstance(done.error, PartitionsFailedError)  # the partition failed alone
    [(_, error)] = done.error.failures
    assert isinstance(error, RunTransportGaveUpError)
    text = str(error)
    assert text.startswith("GET /api/v1/reports/results/")
    assert " failed 8 times over " in text
    assert (
        f"(mailbox_performance: report mailboxPerformance, mailbox {NEW_YORK}, period day, window "
        in text
    )
    assert f"last: {last}" in text
    assert "The bookmark did not move: rerun later" in text
    assert "\n" not in text
    assert error.exit_code == EXIT_INCOMPLETE_DATA
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert [m.split("(attempt ")[1].split(";")[0] for m in retries] == [
        f"{n} of 8" for n in range(1, 8)
    ]
    # Each retry names the run it is for (stream, report, mailbox, period, window).
    assert all(
        f"; mailbox_performance: report mailboxPerformance, mailbox {NEW_YORK}" in m
        for m in retries
    )
    # Each try is DEBUG: the partition says it failed once, at WARNING, with the last one.
    assert all(r.levelname == "DEBUG" for r in caplog.records if r.getMessage() in retries)
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len([m for m in warned if NEW_YORK in m]) == 1
    assert done.bookmarks("mailbox_performance") == {}  # nothing verified, nothing moved


@pytest.mark.usefixtures("no_waiting")
def test_given_the_host_answered_when_a_later_connection_fails_once_then_it_is_retried(
    sandbox: Sandbox,
    control: SandboxControl,
) -> None:
    # Only the very first request treats a connection failure as a wrong base_url.
    control.set_faults([{"kind": "connection_reset", "path": RESULTS, "times": 2}])
    done = sync(config(sandbox.base_url), {"mailbox_performance"})
    assert done.error is None
    assert len(done.rows("mailbox_performance")) == 3


def test_given_users_the_mailbox_does_not_have_when_run_then_a_warning_names_them(
    sandbox: Sandbox,
    control: SandboxControl,
    caplog: pytest.LogCaptureFixture,
) -> None:
    [mailbox] = [m for m in control.mailboxes() if m["mailboxId"] == NEW_YORK]
    real = mailbox["users"][0]["userId"]
    users = [real, "no-such-user", "unknown", "also-missing"]
    streams = {"user_performance", "user_reply_performance"}
    with caplog.at_level(logging.WARNING):
        done = sync(config(sandbox.base_url, users=users), streams)
    assert done.error is None
    warnings = [r.getMessage() for r in caplog.records if "not a user of mailbox" in r.getMessage()]
    assert warnings == [
        (
            f"Setting users names no-such-user, also-missing, not a user of mailbox {NEW_YORK}: "
            "the user reports have no rows for them there. Check the ids against the "
            "mailbox_users stream."
        )
    ]  # once per mailbox, not once per stream; 'unknown' is a documented id
    assert {row["userId"] for row in done.rows("user_performance")} <= {real, "unknown"}


def two_mailboxes(control: SandboxControl, base_url: str) -> dict[str, Any]:
    ids = [m["mailboxId"] for m in control.mailboxes() if m["active"]][:2]
    assert ids[0] == NEW_YORK
    return config(base_url, mailbox_ids=ids)


@pytest.mark.usefixtures("no_waiting")
def test_given_one_mailboxs_results_keep_failing_when_synced_then_only_it_fails(
    sandbox: Sandbox, control: SandboxControl
) -> None:
    control.set_faults(
        [{"kind": "http_error", "status": 503, "path": RESULTS, "mailbox_id": NEW_YORK}]
    )
    settings = two_mailboxes(control, sandbox.base_url)
    done = sync(settings, {"mailbox_performance"})
    assert isinstance(done.error, PartitionsFailedError)
    [(partition, error)] = done.error.failures
    assert partition == ("mailbox_performance", NEW_YORK, "day")
    assert isinstance(error, RunTransportGaveUpError)
    other = settings["mailbox_ids"][1]
    assert {r["mailboxId"] for r in done.rows("mailbox_performance")} == {other}
    assert set(done.bookmarks("mailbox_performance")) == {(other, "day")}


@pytest.mark.usefixtures("no_waiting")
def test_given_every_result_read_failing_when_synced_then_the_sync_stops_as_the_apis_failure(
    sandbox: Sandbox, control: SandboxControl
) -> None:
    # Both mailboxes fail alike, and no other report answers: the API's trouble.
    control.set_faults([{"kind": "http_error", "status": 503, "path": RESULTS}])
    done = sync(two_mailboxes(control, sandbox.base_url), {"mailbox_performance"})
    assert isinstance(done.error, ApiFailingError)
    assert done.error.exit_code == EXIT_INCOMPLETE_DATA
    assert str(done.error).startswith(
        "A report's requests kept failing and no other report answered them "
        "(mailboxPerformance: polling runs, HTTP 503): the API is failing for this account"
    )
