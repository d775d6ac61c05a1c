"""The run engine against independent fakes of the API: it verifies, never infers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tap_emailgistics.errors import EmailgisticsError

from .conftest import (
    BASE,
    MAILBOX,
    MAILBOXES,
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

#: An HTTP Date well after the configured range (2026-01-01 .. 2026-05-01).
LATER = "Fri, 15 May 2026 12:00:00 GMT"


def sync(capsys: pytest.CaptureFixture[str], **overrides: Any) -> list[dict[str, Any]]:
    """Sync mailbox_performance; the Singer messages it wrote, even when it failed."""
    tap = make_tap(**overrides)
    try:
        with account_failure():
            tap.streams["mailbox_performance"].sync()
        raise_partition_failure(tap)
    finally:
        out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line]


def last_bookmark(messages: list[dict[str, Any]]) -> str | None:
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    if not states:
        return None
    partitions = states[-1]["bookmarks"]["mailbox_performance"].get("partitions", [])
    return partitions[0].get("provisional_from") if partitions else None


def test_given_an_empty_done_page_with_a_cutoff_when_synced_then_the_bookmark_stays(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    quiet = seed("monthly_done", data=[], total=0, dataCutoffTimestamp="2026-03-10T08:00:00.0")
    requests_mock.post(REPORT_URL, json=quiet)
    messages = sync(capsys)
    assert [m for m in messages if m["type"] == "RECORD"] == []
    assert last_bookmark(messages) == "2026-03-01T00:00:00"


def _without(name: str, *path: str) -> dict[str, Any]:
    envelope = seed("monthly_done", data=monthly_rows(1))
    target = envelope
    for part in path:
        target = target[part]
    del target[name]
    return envelope


SHAPES: dict[str, Any] = {
    "empty object": {},
    "JSON array": [],
    "unknown status": {**seed("monthly_done", data=monthly_rows(1)), "status": "queued"},
    "missing status": _without("status"),
    "null result": {**seed("monthly_done"), "result": None},
    "null data": seed("monthly_done", data=None),
    "no _links": _without("_links"),
    "no self link": _without("self", "_links"),
}


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_given_a_malformed_envelope_when_synced_then_one_line_and_no_bookmark(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
    shape: str,
) -> None:
    requests_mock.post(REPORT_URL, json=SHAPES[shape])
    with pytest.raises(EmailgisticsError) as caught:
        sync(capsys)
    message = str(caught.value)
    assert "\n" not in message
    assert "mailboxPerformance" in message
    assert MAILBOX in message
    assert "2026-01-01" in message  # the window
    assert len([r for r in requests_mock.request_history if r.method == "POST"]) == 1


def test_given_an_unknown_status_when_polled_then_it_is_not_completion(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    requests_mock.post(REPORT_URL, json=seed("monthly_running"))
    requests_mock.get(f"{RESULT_URL}?max=500", json={**seed("monthly_running"), "status": "paused"})
    messages: list[dict[str, Any]] = []
    with pytest.raises(EmailgisticsError, match="'paused'"):
        messages = sync(capsys)
    assert last_bookmark(messages) is None


def test_given_fewer_rows_than_total_when_paged_then_reread_once_and_fail(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    short = seed("monthly_done", data=monthly_rows(1, 2, 3), total=4, dataCutoffTimestamp=None)
    requests_mock.post(REPORT_URL, json=short)
    with pytest.raises(EmailgisticsError, match=r"3 rows.*total of 4"):
        sync(capsys)
    assert len([r for r in requests_mock.request_history if r.method == "POST"]) == 2


def test_given_a_bookmark_after_the_apis_now_when_synced_then_one_line_naming_the_state(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(f"{BASE}/api/v1/admin/mailboxes", json=MAILBOXES, headers={"Date": LATER})
    tap = make_tap(end_date=None)
    tap.load_state(
        {
            "bookmarks": {
                "mailbox_performance": {
                    "partitions": [
                        {
                            "context": {"mailboxId": MAILBOX, "period": "month"},
                            "provisional_from": "2027-03-01T00:00:00",
                        }
                    ]
                }
            }
        }
    )
    stream = tap.streams["mailbox_performance"]
    with (
        pytest.raises(EmailgisticsError, match=r"state.*2027-03-01.*after the API's now") as caught,
        account_failure(),
    ):
        list(stream.get_records({"mailboxId": MAILBOX, "period": "month"}))
    assert "\n" not in str(caught.value)
    assert not [r for r in requests_mock.request_history if r.method == "POST"]


def test_given_no_cutoff_but_a_period_after_the_apis_now_when_synced_then_it_is_provisional(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    done = seed("monthly_done", data=monthly_rows(1, 2, 3, 4), dataCutoffTimestamp=None)
    requests_mock.post(REPORT_URL, json=done, headers={"Date": "Wed, 15 Apr 2026 10:00:00 GMT"})
    messages = sync(capsys)
    rows = [m["record"] for m in messages if m["type"] == "RECORD"]
    assert [r["isFinal"] for r in rows] == [True, True, True, False]
    assert last_bookmark(messages) == "2026-04-01T00:00:00"


def test_given_a_429_without_retry_after_when_waiting_then_at_least_a_minute() -> None:
    stream = make_tap().streams["mailbox_performance"]
    waits = stream.backoff_wait_generator()
    next(waits)

    class LimitedError(Exception):
        def __init__(self) -> None:
            super().__init__("429")
            self.response = type("R", (), {"status_code": 429, "headers": {}})()

    first, second = waits.send(LimitedError()), waits.send(LimitedError())
    assert 60 <= first <= 75
    assert second >= 2 * 60
