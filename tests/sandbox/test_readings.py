"""The sandbox's switches for what the API docs leave open: each reading can be served."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl, SandboxSettings

from .conftest import DOCS_MAILBOX, Api

FALL_BACK_DAY = {
    "mailboxId": DOCS_MAILBOX,  # America/New_York: 01:00 repeats on 2026-11-01
    "start": "2026-11-01T00:00:00",
    "end": "2026-11-01T02:59:59",
    "period": "hour",
}
QUIET_DAYS = {  # before the sandbox's activity starts (2025-07-01)
    "mailboxId": DOCS_MAILBOX,
    "start": "2025-06-01T00:00:00",
    "end": "2025-06-03T23:59:59",
    "period": "day",
}


def test_given_the_default_when_answering_then_the_date_header_is_the_sandbox_clock(
    api: Api,
    control: SandboxControl,
) -> None:
    control.set_clock("2031-02-03T04:05:06Z")
    answer = api.get("/api/v1/admin/mailboxes")
    assert parsedate_to_datetime(answer.headers["Date"]).isoformat() == "2031-02-03T04:05:06+00:00"
    control.update_settings(dateHeader=False)
    assert "Date" not in api.get("/api/v1/admin/mailboxes").headers


def test_given_no_retry_after_when_rate_limited_then_the_429_has_no_header() -> None:
    settings = SandboxSettings(requests_per_minute=1, retry_after_header=False)
    with Sandbox(settings) as sandbox:
        api = Api(sandbox.base_url)
        assert api.get("/api/v1/admin/mailboxes").status_code == 200
        limited = api.get("/api/v1/admin/mailboxes")
    assert limited.status_code == 429
    assert "Retry-After" not in limited.headers
    assert limited.json()["error"] == {"code": "429", "message": "Rate limit exceeded."}


def test_given_queue_then_fail_when_posting_then_5xx_but_the_run_was_queued(
    api: Api,
    control: SandboxControl,
) -> None:
    control.set_faults([{"kind": "queue_then_fail", "status": 502, "times": 1}])
    failed = api.post("mailboxPerformance", QUIET_DAYS)
    assert failed.status_code == 502
    runs = control.runs()
    assert runs["orphans"] == 1
    assert runs["runs"][0]["body"] == QUIET_DAYS
    assert api.post("mailboxPerformance", QUIET_DAYS).status_code == 200
    assert control.runs()["orphans"] == 1  # the client knows the second run's id


def test_given_sparse_rows_when_a_quiet_window_is_reported_then_no_rows(
    api: Api,
    control: SandboxControl,
) -> None:
    dense = api.all_rows("mailboxPerformance", QUIET_DAYS)
    assert [row["received"] for row in dense] == [0, 0, 0]
    control.update_settings(sparseRows=True)
    assert api.all_rows("mailboxPerformance", QUIET_DAYS) == []
    assert api.all_rows("mailboxUserPerformance", QUIET_DAYS) == []


def test_given_omitted_nulls_when_reported_then_rows_leave_null_columns_out(
    api: Api,
    control: SandboxControl,
) -> None:
    # Quiet days: zero counts and null averages.
    assert any(
        v is None for row in api.all_rows("mailboxPerformance", QUIET_DAYS) for v in row.values()
    )
    control.update_settings(omitNullProbability=1.0)
    rows = api.all_rows("mailboxPerformance", QUIET_DAYS)
    assert rows
    assert all(v is not None for row in rows for v in row.values())


def test_given_an_end_in_the_second_repeated_hour_when_it_is_open_then_a_cutoff_is_sent(
    api: Api,
    control: SandboxControl,
) -> None:
    control.set_clock("2026-11-01T06:40:00Z")  # 01:40 EST, inside the second 01:00
    body = {**FALL_BACK_DAY, "end": "2026-11-01T01:59:59"}
    assert api.run_to_done("mailboxPerformance", body)["result"]["dataCutoffTimestamp"]
    control.update_settings(ambiguousEnd="first")
    assert "dataCutoffTimestamp" not in api.run_to_done("mailboxPerformance", body)["result"]


def test_given_a_second_hour_domain_when_reported_then_it_appears_only_after_the_first_hour() -> (
    None
):
    settings = SandboxSettings(
        run_seconds=0,
        requests_per_minute=0,
        max_running_runs=0,
        second_hour_domain="adventure-works.com",
        now=datetime(2026, 11, 2, 12, tzinfo=UTC),
    )
    with Sandbox(settings) as sandbox:
        rows = Api(sandbox.base_url).all_rows("mailboxDomainPerformance", FALL_BACK_DAY)
        truth = SandboxControl(sandbox.base_url).truth(
            report="mailboxDomainPerformance", **FALL_BACK_DAY
        )
    at_one = [row["domain"] for row in rows if row["startDateTime"].endswith("T01:00:00")]
    first_group_end = at_one.index("adventure-works.com")
    assert first_group_end > 0  # other domains were active in the first 01:00
    assert at_one.count("adventure-works.com") == 1
    keyed = {
        (row["startDateTimeUtc"], row["domain"])
        for row in truth
        if row["startDateTime"].endswith("T01:00:00")
    }
    assert ("2026-11-01T06:00:00Z", "adventure-works.com") in keyed
    assert ("2026-11-01T05:00:00Z", "adventure-works.com") not in keyed


def test_given_echo_credentials_when_answering_then_the_message_repeats_the_header(
    api: Api,
    control: SandboxControl,
) -> None:
    control.set_faults([{"kind": "echo_credentials", "status": 400, "times": 1}])
    echoed = api.post("mailboxPerformance", QUIET_DAYS)
    assert echoed.status_code == 400
    assert f"Authorization: Bearer {FULL_KEY}" in echoed.json()["error"]["message"]
    assert api.post("mailboxPerformance", QUIET_DAYS).status_code == 200


def test_given_malformed_shapes_when_answering_then_each_is_a_200_of_that_shape(
    api: Api,
    control: SandboxControl,
) -> None:
    control.update_settings(instantRows=1000)  # the POST answers done, with rows
    answers = {}
    for shape in ("array", "html", "no_start", "bad_cutoff"):
        control.set_faults([{"kind": "malformed_answer", "shape": shape, "times": 1}])
        answers[shape] = api.post("mailboxPerformance", {**QUIET_DAYS, "end": "2026-05-02"})
    assert {shape: answer.status_code for shape, answer in answers.items()} == dict.fromkeys(
        answers, 200
    )
    assert isinstance(answers["array"].json(), list)
    assert answers["html"].headers["Content-Type"] == "text/html"
    assert answers["html"].text.startswith("<html>")
    rows = answers["no_start"].json()["result"]["data"]
    assert rows
    assert not any("startDateTime" in row for row in rows)
    cutoff = answers["bad_cutoff"].json()["result"]["dataCutoffTimestamp"]
    assert cutoff == "05/01/2026 12:14 PM"
