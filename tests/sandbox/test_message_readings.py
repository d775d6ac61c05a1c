"""Received Message Detail: time readings, filters, columns, ground truth and runs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings
from emailgistics_sandbox.api.message_query import ActivityTime, first_instant, last_instant
from emailgistics_sandbox.cli import build_parser

from .conftest import (
    DETAIL,
    DOCS_MAILBOX,
    MESSAGE_DAY,
    RECENT_MESSAGES,
    Api,
    as_utc,
    mailbox_in,
    without_ids,
)


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Kolkata"])
def test_given_bounds_with_and_without_z_for_the_same_instants_when_run_then_the_same_rows(
    api: Api,
    control: SandboxControl,
    zone: str,
) -> None:
    local = {**MESSAGE_DAY, "mailboxId": mailbox_in(control, zone)}
    utc = {
        **local,
        "activityStart": as_utc(MESSAGE_DAY["activityStart"], zone),
        "activityEnd": as_utc(MESSAGE_DAY["activityEnd"], zone),
    }
    rows = api.all_rows(DETAIL, local)
    assert rows
    assert without_ids(api.all_rows(DETAIL, utc)) == without_ids(rows)


def test_given_bounds_without_z_when_run_then_they_are_not_read_as_utc(api: Api) -> None:
    utc = {
        **MESSAGE_DAY,
        "activityStart": MESSAGE_DAY["activityStart"] + "Z",
        "activityEnd": MESSAGE_DAY["activityEnd"] + "Z",
    }
    local_ids = [row["messageId"] for row in api.all_rows(DETAIL, MESSAGE_DAY)]
    assert local_ids != [row["messageId"] for row in api.all_rows(DETAIL, utc)]


@pytest.mark.parametrize(
    ("local", "first", "last"),
    [
        ("2026-03-04T12:00:00", "2026-03-04T17:00:00", "2026-03-04T17:00:00"),
        # Skipped by the spring-forward: both read at the gap (02:00 EST = 03:00 EDT).
        ("2026-03-08T02:30:00", "2026-03-08T07:00:00", "2026-03-08T06:59:59"),
        # Repeated by the fall-back: a start is its first occurrence, an end its last.
        ("2026-11-01T01:30:00", "2026-11-01T05:30:00", "2026-11-01T06:30:00"),
    ],
)
def test_given_wall_clock_bounds_around_dst_when_resolved_then_first_and_last_instants(
    local: str,
    first: str,
    last: str,
) -> None:
    zone = ZoneInfo("America/New_York")
    time = ActivityTime(datetime.fromisoformat(local), utc=False)
    assert first_instant(time, zone) == datetime.fromisoformat(first).replace(tzinfo=UTC)
    assert last_instant(time, zone) == datetime.fromisoformat(last).replace(tzinfo=UTC)


def test_given_no_bounds_when_run_then_every_visible_message_with_a_cutoff(
    control: SandboxControl,
) -> None:
    body = {"mailboxId": DOCS_MAILBOX, "activityType": "received"}
    truth = control.truth_result(report=DETAIL, **body)
    months = control.truth(
        report="mailboxPerformance",
        mailboxId=DOCS_MAILBOX,
        start="2025-01-01T00:00:00",
        end="2026-05-31T23:59:59",
        period="month",
    )
    assert truth["dataCutoffTimestamp"] == "2026-05-01T08:14:00.0"
    assert len(truth["rows"]) == sum(row["received"] for row in months) > 1000


def test_given_domains_when_run_then_only_rows_of_those_sender_domains(api: Api) -> None:
    every = without_ids(api.all_rows(DETAIL, MESSAGE_DAY))
    chosen = without_ids(api.all_rows(DETAIL, {**MESSAGE_DAY, "domains": ["CONTOSO.com"]}))
    assert chosen
    assert chosen == [row for row in every if row["senderDomain"] == "contoso.com"]


def test_given_users_when_run_then_only_rows_of_those_owners_and_unknown_is_no_owner(
    api: Api,
) -> None:
    mailbox = api.get("/api/v1/admin/mailboxes").json()["mailboxes"][0]
    user = mailbox["users"][0]["userId"]
    every = without_ids(api.all_rows(DETAIL, MESSAGE_DAY))
    body = {**MESSAGE_DAY, "users": [user, "unknown", "not-a-user"]}
    chosen = without_ids(api.all_rows(DETAIL, body))
    assert {row["ownerUserId"] for row in chosen} == {user, None}
    assert chosen == [row for row in every if row["ownerUserId"] in {user, None}]


def test_given_a_conversation_id_when_run_then_only_rows_of_that_conversation(api: Api) -> None:
    every = without_ids(api.all_rows(DETAIL, MESSAGE_DAY))
    wanted = every[len(every) // 2]["conversationId"]
    chosen = without_ids(api.all_rows(DETAIL, {**MESSAGE_DAY, "conversationId": wanted}))
    assert chosen
    assert chosen == [row for row in every if row["conversationId"] == wanted]


def test_given_field_groups_when_run_then_message_id_then_each_groups_columns_once(
    api: Api,
) -> None:
    rows = api.all_rows(DETAIL, MESSAGE_DAY, fieldGroup="sla,ownership")
    assert list(rows[0]) == [
        "id",
        "messageId",
        "ownerUserId",
        "assignedDateTime",
        "reassignedDateTime",
        "status",
        "insideReplySla",
        "insideClosedSla",
    ]


def test_given_include_details_when_run_then_the_owners_name_email_and_active_follow_its_id(
    api: Api,
) -> None:
    users = api.get("/api/v1/admin/mailboxes").json()["mailboxes"][0]["users"]
    by_id = {u["userId"]: (u["userName"], u["userEmail"], u["active"]) for u in users}
    rows = api.all_rows(DETAIL, MESSAGE_DAY, includeDetails="true")
    columns = list(rows[0])
    details = ["ownerUserName", "ownerUserEmail", "ownerUserActive"]
    at = columns.index("ownerUserId")
    assert columns[at + 1 : at + 4] == details
    assert {None} < {row["ownerUserId"] for row in rows}
    for row in rows:
        expected = by_id.get(row["ownerUserId"], (None, None, None))
        assert tuple(row[column] for column in details) == expected


def test_given_the_truth_endpoint_when_asked_then_it_is_every_api_row_without_ids(
    api: Api,
    control: SandboxControl,
) -> None:
    body = {**RECENT_MESSAGES, "activityType": "replied", "statuses": ["open", "closed"]}
    params = {"fieldGroup": "basic,timing", "includeDetails": "true"}
    truth = control.truth_result(report=DETAIL, **body, **params)
    done = api.run_to_done(DETAIL, body, max=10, **params)
    rows = api.all_rows(DETAIL, body, max=10, **params)
    assert truth["dataCutoffTimestamp"] == done["result"]["dataCutoffTimestamp"]
    assert truth["timeZone"] == done["result"]["timeZone"] == "America/New_York"
    assert len(rows) > 10
    assert truth["rows"] == without_ids(rows)


def test_given_a_mailbox_removed_from_the_directory_when_asking_truth_then_rows_still_come(
    api: Api,
    control: SandboxControl,
) -> None:
    control.remove_from_directory(DOCS_MAILBOX)
    assert api.post(DETAIL, MESSAGE_DAY).status_code == 404
    assert control.truth(report=DETAIL, **MESSAGE_DAY)


def test_given_three_running_detail_runs_when_a_fourth_is_posted_then_429() -> None:
    with Sandbox(SandboxSettings(run_seconds=5)) as sandbox:
        api = Api(sandbox.base_url)
        codes = [api.post(DETAIL, MESSAGE_DAY).status_code for _ in range(3)]
        fourth = api.post(DETAIL, MESSAGE_DAY)
    assert codes == [200, 200, 200]
    assert fourth.status_code == 429
    assert "Retry-After" in fourth.headers


def test_given_a_run_error_on_its_mailbox_when_a_detail_run_is_created_then_it_errors(
    api: Api,
    control: SandboxControl,
) -> None:
    control.set_faults([{"kind": "run_error", "mailbox_id": DOCS_MAILBOX, "times": 1}])
    failed = api.run_to_done(DETAIL, MESSAGE_DAY)
    assert failed["status"] == "error"
    assert "result" not in failed


def test_given_the_cli_help_when_read_then_it_names_the_message_detail_report() -> None:
    assert DETAIL in " ".join(build_parser().format_help().split())
