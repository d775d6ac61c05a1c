"""Error mapping: one case per HTTP status, with requests-mock."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from tap_emailgistics.errors import ApiAccessError
from tests.warp import warp_time

from .conftest import (
    REPORT_URL,
    RESULT_URL,
    account_failure,
    make_tap,
    monthly_rows,
    raise_partition_failure,
    seed,
)

if TYPE_CHECKING:
    import requests_mock as rm


def sync(context: dict[str, str]) -> list[dict[str, Any]]:
    tap = make_tap()
    with account_failure():
        rows = list(tap.streams["mailbox_performance"].get_records(context))
    raise_partition_failure(tap)
    return rows


def error(status: int, message: str) -> dict[str, Any]:
    return {
        "status_code": status,
        "json": {"status": "error", "error": {"code": str(status), "message": message}},
    }


@pytest.mark.parametrize(
    ("status", "fragment"),
    [
        (400, "check start_date, end_date, periods"),
        (401, "check api_key"),
        (403, "`reporting` scope"),
        (404, "not in this key's allowlist"),
        (302, "check base_url"),
    ],
)
def test_given_a_fatal_status_when_posting_then_one_actionable_error_without_the_key(
    requests_mock: rm.Mocker,
    context: dict[str, str],
    status: int,
    fragment: str,
) -> None:
    requests_mock.post(REPORT_URL, **error(status, "nope"))
    with pytest.raises(ApiAccessError, match=fragment) as caught:
        sync(context)
    assert "\n" not in str(caught.value)
    assert "unit-test-secret-key" not in str(caught.value)
    assert len([r for r in requests_mock.request_history if r.method == "POST"]) == 1


def test_given_a_429_on_the_post_when_sent_then_repeated_after_retry_after(
    requests_mock: rm.Mocker,
    context: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A 429 queued nothing: the scheduler sends the POST again after Retry-After.
    slept: list[float] = []
    now = [1000.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr("time.monotonic", lambda: now[0])
    monkeypatch.setattr("time.sleep", sleep)
    limited = error(429, "Rate limit exceeded.")
    limited["headers"] = {"Retry-After": "7"}
    requests_mock.post(
        REPORT_URL, [limited, {"json": seed("monthly_done", data=monthly_rows(1, 2))}]
    )
    assert len(sync(context)) == 2
    assert slept == [7.0]  # Retry-After, nothing else waited for


@pytest.mark.parametrize(
    "failure",
    [error(500, "busy"), error(502, "busy"), error(503, "busy"), {"text": '{"_links": {"se'}],
    ids=["500", "502", "503", "truncated body"],
)
def test_given_a_post_that_may_have_queued_when_it_fails_then_the_engine_recreates_it(
    requests_mock: rm.Mocker,
    context: dict[str, str],
    failure: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    done = seed("monthly_done", data=monthly_rows(1))
    requests_mock.post(REPORT_URL, [failure, {"json": done}])
    with caplog.at_level(logging.DEBUG):  # a window that recovers is no warning
        assert len(sync(context)) == 1
    assert [r.method for r in requests_mock.request_history].count("POST") == 2
    assert "re-creating the run (in 2 s; failed POSTs are re-created for 5.0 min)" in caplog.text


def test_given_a_truncated_poll_when_reading_then_the_get_is_repeated(
    requests_mock: rm.Mocker,
    context: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warp_time(monkeypatch)
    requests_mock.post(REPORT_URL, json=seed("monthly_running"))
    done = seed("monthly_done", data=monthly_rows(1))
    requests_mock.get(f"{RESULT_URL}?max=500", [{"text": '{"_links": {"se'}, {"json": done}])
    assert len(sync(context)) == 1
    assert [r.method for r in requests_mock.request_history].count("POST") == 1


def test_given_every_request_when_sent_then_bearer_goes_only_to_the_configured_host(
    requests_mock: rm.Mocker,
    context: dict[str, str],
) -> None:
    requests_mock.post(REPORT_URL, json=seed("monthly_done", data=monthly_rows(1)))
    sync(context)
    for request in requests_mock.request_history:
        assert request.headers["Authorization"] == "Bearer unit-test-secret-key"
        assert request.url.startswith("https://c1.emailgistics.com/")
