"""Sandbox runs, paging, limits, auth, errors, faults, request log and CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from emailgistics_sandbox import (
    EXPIRED_KEY,
    LIMITED_KEY,
    NO_REPORTING_KEY,
    Sandbox,
    SandboxControl,
    SandboxSettings,
)
from emailgistics_sandbox.cli import build_parser

from .conftest import DAYS, DOCS_MAILBOX, Api


def test_given_a_slow_run_when_polled_then_progress_rises_until_done() -> None:
    with Sandbox(SandboxSettings(run_seconds=0.4)) as sandbox:
        api = Api(sandbox.base_url)
        first = api.post("mailboxPerformance", DAYS).json()
        assert first["status"] == "running"
        time.sleep(0.2)
        middle = api.get(first["_links"]["self"]["href"]).json()
        time.sleep(0.3)
        last = api.get(first["_links"]["self"]["href"]).json()
    assert first["progress"] < middle["progress"] < last["progress"] == 100
    assert middle["result"]["data"] == []
    assert last["status"] == "done"


def test_given_instant_rows_when_a_tiny_report_is_posted_then_the_post_answer_is_done() -> None:
    with Sandbox(SandboxSettings(run_seconds=30, instant_rows=5)) as sandbox:
        body = {**DAYS, "end": "2026-01-02T23:59:59"}
        answer = Api(sandbox.base_url).post("mailboxPerformance", body).json()
    assert answer["status"] == "done"
    assert len(answer["result"]["data"]) == 2


def test_given_100_rows_when_paging_then_links_and_cursors_follow_the_docs(
    api: Api,
) -> None:
    first = api.run_to_done("mailboxPerformance", DAYS)
    assert len(first["result"]["data"]) == 50  # default max
    assert "prev" not in first["_links"]
    last_id = first["result"]["data"][-1]["id"]
    assert first["_links"]["next"]["href"].endswith(f"&starting_after={last_id}")
    second = api.get(first["_links"]["next"]["href"]).json()
    assert "next" not in second["_links"]
    assert second["_links"]["prev"]["href"].endswith(
        f"&ending_before={second['result']['data'][0]['id']}"
    )
    back = api.get(second["_links"]["prev"]["href"]).json()
    assert back["result"]["data"] == first["result"]["data"]
    big = api.run_to_done("mailboxPerformance", DAYS, max=900)
    assert len(big["result"]["data"]) == 100
    assert "max=500" in big["_links"]["self"]["href"]


def test_given_the_user_report_when_paging_then_total_is_null_until_the_last_page(
    api: Api,
) -> None:
    first = api.run_to_done("mailboxUserPerformance", DAYS, max=200)
    assert first["result"]["total"] is None
    pages = [first]
    while "next" in pages[-1]["_links"]:
        pages.append(api.get(pages[-1]["_links"]["next"]["href"]).json())
    assert pages[-1]["result"]["total"] == 600  # 100 days x (5 users + unknown)


def test_given_bad_cursor_parameters_when_reading_results_then_400(api: Api) -> None:
    done = api.run_to_done("mailboxPerformance", DAYS)
    href = done["_links"]["self"]["href"]
    both = api.get(f"{href}&starting_after=1&ending_before=9")
    assert both.status_code == 400
    assert api.get(f"{href.split('?')[0]}?max=0").status_code == 400


def test_given_three_running_runs_when_a_fourth_is_posted_then_429_with_retry_after() -> None:
    with Sandbox(SandboxSettings(run_seconds=5)) as sandbox:
        api = Api(sandbox.base_url)
        codes = [api.post("mailboxPerformance", DAYS).status_code for _ in range(3)]
        fourth = api.post("mailboxPerformance", DAYS)
    assert codes == [200, 200, 200]
    assert fourth.status_code == 429
    assert fourth.json()["error"] == {"code": "429", "message": "Rate limit exceeded."}
    assert 1 <= int(fourth.headers["Retry-After"]) <= 5


def test_given_the_request_rate_limit_when_exceeded_then_429_with_retry_after() -> None:
    with Sandbox(SandboxSettings(requests_per_minute=5)) as sandbox:
        api = Api(sandbox.base_url)
        answers = [api.get("/api/v1/admin/mailboxes") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert 55 <= int(answers[-1].headers["Retry-After"]) <= 60


@pytest.mark.parametrize(
    ("key", "status", "fragment"),
    [
        (None, 401, "Missing or malformed"),
        ("nonsense", 401, "Unknown API key"),
        (EXPIRED_KEY, 401, "expired"),
        (NO_REPORTING_KEY, 403, "reporting"),
    ],
)
def test_given_a_bad_key_when_calling_then_the_documented_status(
    sandbox: Sandbox,
    key: str | None,
    status: int,
    fragment: str,
) -> None:
    answer = Api(sandbox.base_url, key).post("mailboxPerformance", DAYS)
    assert answer.status_code == status
    assert answer.json()["status"] == "error"
    assert answer.json()["error"]["code"] == str(status)
    assert fragment in answer.json()["error"]["message"]


def test_given_a_limited_key_when_listing_and_reporting_then_the_excluded_mailbox_is_404(
    sandbox: Sandbox,
    control: SandboxControl,
) -> None:
    limited = Api(sandbox.base_url, LIMITED_KEY)
    every = [m["mailboxId"] for m in control.mailboxes()]
    seen = [m["mailboxId"] for m in limited.get("/api/v1/admin/mailboxes").json()["mailboxes"]]
    assert len(seen) == len(every) - 1
    hidden = next(m for m in every if m not in seen)
    answer = limited.post("mailboxPerformance", {**DAYS, "mailboxId": hidden})
    assert answer.status_code == 404
    assert answer.json()["_links"]["origin"]["body"]["parameters"]["mailboxId"] == hidden


@pytest.mark.parametrize(
    ("body", "params"),
    [
        ({k: v for k, v in DAYS.items() if k != "period"}, {}),
        ({**DAYS, "period": "year"}, {}),
        ({**DAYS, "start": "2026-05-01T00:00:00"}, {}),
        ({**DAYS, "start": "yesterday"}, {}),
        (DAYS, {"fieldGroup": "nope"}),
        (DAYS, {"max": "-1"}),
    ],
)
def test_given_an_invalid_request_when_posted_then_400(
    api: Api,
    body: dict[str, str],
    params: dict[str, str],
) -> None:
    answer = api.post("mailboxPerformance", body, **params)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "400"


def test_given_a_non_json_body_when_posted_then_400(api: Api) -> None:
    url = f"{api.base_url}/api/v1/reports/mailboxPerformance"
    assert api.session.post(url, data=b"{nope", timeout=5).status_code == 400


def test_given_a_result_when_24h_pass_or_another_key_reads_then_404(
    sandbox: Sandbox,
    api: Api,
    control: SandboxControl,
) -> None:
    href = api.run_to_done("mailboxPerformance", DAYS)["_links"]["self"]["href"]
    assert Api(sandbox.base_url, LIMITED_KEY).get(href).status_code == 404
    control.advance(hours=23, minutes=59)
    assert api.get(href).status_code == 200
    control.advance(minutes=1)
    assert api.get(href).status_code == 404


def test_given_fault_rules_when_requests_arrive_then_each_fault_shows(
    api: Api,
    control: SandboxControl,
) -> None:
    control.set_faults([{"kind": "http_error", "status": 502, "times": 1}])
    assert api.get("/api/v1/admin/mailboxes").status_code == 502
    assert api.get("/api/v1/admin/mailboxes").status_code == 200
    control.set_faults([{"kind": "rate_limit_burst", "burst": 2, "times": 1, "seconds": 3}])
    burst = [api.get("/api/v1/admin/mailboxes") for _ in range(3)]
    assert [a.status_code for a in burst] == [429, 429, 200]
    assert burst[0].headers["Retry-After"] == "3"
    control.set_faults([{"kind": "truncated_json", "times": 1}])
    with pytest.raises(requests.exceptions.JSONDecodeError):
        api.get("/api/v1/admin/mailboxes").json()
    control.set_faults([{"kind": "connection_reset", "times": 1}])
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get("/api/v1/admin/mailboxes")
    control.set_faults([{"kind": "slow", "seconds": 0.3, "times": 1}])
    started = time.monotonic()
    api.get("/api/v1/admin/mailboxes")
    assert time.monotonic() - started >= 0.3


def test_given_run_faults_when_a_run_is_created_then_it_errors_or_expires_mid_paging(
    api: Api,
    control: SandboxControl,
) -> None:
    control.set_faults([{"kind": "run_error", "mailbox_id": DOCS_MAILBOX, "times": 1}])
    failed = api.run_to_done("mailboxPerformance", DAYS)
    assert failed["status"] == "error"
    assert "result" not in failed
    assert set(failed["error"]) == {"code", "message"}
    control.set_faults([{"kind": "expire_mid_paging", "after_pages": 1, "times": 1}])
    first = api.run_to_done("mailboxPerformance", DAYS)
    assert api.get(first["_links"]["next"]["href"]).status_code == 404
    assert control.faults()[0]["fired"] == 1


def test_given_requests_when_reading_the_log_then_method_path_query_body_status_time(
    api: Api,
    control: SandboxControl,
) -> None:
    control.clear_requests()
    api.post("mailboxPerformance", DAYS, fieldGroup="closeData")
    entry = control.requests()[-1]
    assert entry["method"] == "POST"
    assert entry["path"] == "/api/v1/reports/mailboxPerformance"
    assert entry["query"] == {"fieldGroup": "closeData"}
    assert entry["body"] == DAYS
    assert entry["status"] == 200
    assert entry["time"].startswith("2026-05-01T12:29")
    assert "sandbox-full-key" not in json.dumps(entry)


def test_given_the_cli_when_asked_for_help_then_every_option_is_documented() -> None:
    parser = build_parser()
    text = parser.format_help()
    for action in parser._actions:
        for flag in action.option_strings:
            assert flag in text
        assert action.help


def test_given_the_cli_when_started_then_it_prints_base_url_and_keys() -> None:
    command = [
        sys.executable,
        "-m",
        "emailgistics_sandbox.cli",
        "--port",
        "0",
        "--seed",
        "3",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            assert "listening on http://127.0.0.1:" in process.stdout.readline()
            banner = json.loads(process.stdout.readline())
            assert SandboxControl(banner["baseUrl"]).health()
            names = {k["name"] for k in banner["keys"]}
            assert names == {"full", "no-reporting", "reporting-only", "limited", "expired"}
        finally:
            process.terminate()
        assert process.wait(timeout=10) == 0
