"""The run-then-poll-then-page paginator, driven through the report stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tap_emailgistics.errors import ForeignLinkError, RunDeadlineError, RunGaveUpError

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


def records(context: dict[str, str], **overrides: Any) -> list[dict[str, Any]]:
    tap = make_tap(**overrides)
    with account_failure():
        rows = list(tap.streams["mailbox_performance"].get_records(context))
    raise_partition_failure(tap)
    return rows


def test_given_running_running_done_next_when_synced_then_every_page_is_read(
    requests_mock: rm.Mocker,
    context: dict[str, str],
) -> None:
    done = seed("monthly_done", data=monthly_rows(1, 2), total=None)  # known on the last page
    done["_links"]["next"] = {"href": f"{RESULT_URL}?max=500&starting_after=10002", "method": "GET"}
    requests_mock.post(REPORT_URL, json=seed("monthly_running"))
    requests_mock.get(
        f"{RESULT_URL}?max=500",
        [{"json": seed("monthly_running")}, {"json": seed("monthly_running")}, {"json": done}],
    )
    last = seed("monthly_done", data=monthly_rows(3, 4), total=4)
    requests_mock.get(f"{RESULT_URL}?max=500&starting_after=10002", json=last)
    rows = records(context)
    assert [r["startDateTime"][:7] for r in rows] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    methods = [(r.method, r.url.split("?")[0]) for r in requests_mock.request_history[1:]]
    assert methods == [("POST", REPORT_URL)] + [("GET", RESULT_URL)] * 4
    post = requests_mock.request_history[1]
    assert post.qs == {"fieldgroup": ["replydata,closedata"], "max": ["500"]}
    assert post.json() == {
        "mailboxId": context["mailboxId"],
        "start": "2026-01-01T00:00:00",
        "end": "2026-04-30T23:59:59",
        "period": "month",
    }
    assert all(r["isFinal"] for r in rows)
    assert rows[0]["startDateTimeUtc"] == "2026-01-01T05:00:00Z"


def test_given_done_at_post_when_synced_then_no_poll_is_made(
    requests_mock: rm.Mocker,
    context: dict[str, str],
) -> None:
    requests_mock.post(REPORT_URL, json=seed("monthly_done", data=monthly_rows(1, 2, 3, 4)))
    assert len(records(context)) == 4
    assert [r.method for r in requests_mock.request_history] == ["GET", "POST"]


def test_given_expiry_mid_paging_when_synced_then_the_run_is_recreated_and_rows_reemitted(
    requests_mock: rm.Mocker,
    context: dict[str, str],
) -> None:
    first = seed("monthly_done", data=monthly_rows(1, 2))
    first["_links"]["next"] = {
        "href": f"{RESULT_URL}?max=500&starting_after=10002",
        "method": "GET",
    }
    complete = seed("monthly_done", data=monthly_rows(1, 2, 3, 4))
    requests_mock.post(REPORT_URL, [{"json": first}, {"json": complete}])
    requests_mock.get(
        f"{RESULT_URL}?max=500&starting_after=10002",
        status_code=404,
        json={"status": "error", "error": {"code": "404", "message": "gone"}},
    )
    rows = records(context)
    assert [r["startDateTime"][5:7] for r in rows] == ["01", "02", "01", "02", "03", "04"]
    recreate = requests_mock.request_history[-1]
    assert recreate.method == "POST"
    assert recreate.qs["fieldgroup"] == ["replydata,closedata"]  # re-added to the origin href
    assert recreate.json()["mailboxId"] == context["mailboxId"]


def test_given_a_link_to_another_host_when_paging_then_fatal_and_the_key_stays_home(
    requests_mock: rm.Mocker,
    context: dict[str, str],
) -> None:
    evil = seed("monthly_done", data=monthly_rows(1))
    evil["_links"]["next"] = {"href": "https://evil.example.net/steal?x=1", "method": "GET"}
    requests_mock.post(REPORT_URL, json=evil)
    with pytest.raises(ForeignLinkError, match=r"evil\.example\.net"):
        records(context)
    assert all("evil" not in r.url for r in requests_mock.request_history)


def test_given_a_run_that_errors_when_retries_run_out_then_the_api_code_and_message(
    requests_mock: rm.Mocker,
    context: dict[str, str],
) -> None:
    failed = seed("monthly_running")
    failed.update(status="error", error={"code": "500", "message": "Report engine crashed"})
    del failed["result"]
    requests_mock.post(REPORT_URL, json=failed)
    with pytest.raises(RunGaveUpError, match=r"500 Report engine crashed.*3 attempts"):
        records(context, run_error_retries=2)
    assert [r.method for r in requests_mock.request_history].count("POST") == 3


def test_given_a_run_that_errors_once_when_retried_then_rows_arrive(
    requests_mock: rm.Mocker,
    context: dict[str, str],
) -> None:
    failed = seed("monthly_running")
    failed.update(status="error", error={"code": "500", "message": "flaky"})
    requests_mock.post(
        REPORT_URL, [{"json": failed}, {"json": seed("monthly_done", data=monthly_rows(1, 2))}]
    )
    assert len(records(context)) == 2


def test_given_an_undeclared_column_when_synced_then_it_is_kept_in_extra_fields(
    requests_mock: rm.Mocker,
    context: dict[str, str],
) -> None:
    rows = [{**monthly_rows(1)[0], "sentimentScore": 0.7}]
    requests_mock.post(REPORT_URL, json=seed("monthly_done", data=rows))
    assert records(context)[0]["extraFields"] == {"sentimentScore": 0.7}
    requests_mock.post(REPORT_URL, json=seed("monthly_done", data=monthly_rows(1)))
    # A second, unrelated sync: without the first one's journal it creates its own run.
    assert records(context, run_journal=False)[0]["extraFields"] == {}


def test_given_a_run_that_never_finishes_when_the_deadline_passes_then_it_stops_clearly(
    requests_mock: rm.Mocker,
    context: dict[str, str],
) -> None:
    requests_mock.post(REPORT_URL, json=seed("monthly_running"))
    requests_mock.get(f"{RESULT_URL}?max=500", json=seed("monthly_running"))
    with pytest.raises(RunDeadlineError, match="raise run_deadline_minutes"):
        records(context, run_deadline_minutes=0)
