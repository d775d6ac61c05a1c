"""Received Message Detail: agreement with the aggregates, range, order, paging, finality."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from emailgistics_sandbox import LIMITED_KEY, NO_REPORTING_KEY, REPORTING_ONLY_KEY, Sandbox

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

if TYPE_CHECKING:
    from emailgistics_sandbox import SandboxControl

NEW_YORK = "America/New_York"
#: Monday to Sunday; each week holds its zone's DST change (a 23- and a 25-hour day).
WEEKS = {NEW_YORK: ("2026-03-02", "2026-03-08"), "Australia/Sydney": ("2026-03-30", "2026-04-05")}


def local_day(stamp: str, zone: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(ZoneInfo(zone)).date().isoformat()


def shifted(stamp: str, seconds: int) -> str:
    instant = datetime.fromisoformat(stamp) + timedelta(seconds=seconds)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def activity_times(rows: list[dict[str, Any]]) -> list[str]:
    columns = ("receivedDateTime", "firstRepliedDateTime", "lastRepliedDateTime", "closedDateTime")
    return [row[column] for row in rows for column in columns if row[column]]


@pytest.mark.parametrize("zone", WEEKS)
@pytest.mark.parametrize("utc", [False, True], ids=["wall-clock", "utc"])
def test_given_a_week_when_received_rows_are_counted_per_local_day_then_they_equal_the_aggregate(
    api: Api,
    control: SandboxControl,
    zone: str,
    utc: bool,  # noqa: FBT001 - a parameter
) -> None:
    mailbox_id = mailbox_in(control, zone)
    first, last = WEEKS[zone]
    start, end = f"{first}T00:00:00", f"{last}T23:59:59"
    sent = (as_utc(start, zone), as_utc(end, zone)) if utc else (start, end)
    body = {"mailboxId": mailbox_id, "activityType": "received"}
    rows = api.all_rows(DETAIL, body | {"activityStart": sent[0], "activityEnd": sent[1]}, max=500)
    per_day = Counter(local_day(row["receivedDateTime"], zone) for row in rows)
    daily = api.all_rows(
        "mailboxPerformance", {"mailboxId": mailbox_id, "start": start, "end": end, "period": "day"}
    )
    expected = {row["startDateTime"][:10]: row["received"] for row in daily}
    assert len(expected) == 7
    assert sum(expected.values()) > 0
    assert dict(per_day) == {day: count for day, count in expected.items() if count}


def test_given_messages_received_exactly_at_start_and_end_when_run_then_both_are_rows(
    api: Api,
    control: SandboxControl,
) -> None:
    day = control.truth(report=DETAIL, **MESSAGE_DAY)
    first, last = day[0]["receivedDateTime"], day[-1]["receivedDateTime"]
    exact = api.all_rows(DETAIL, {**MESSAGE_DAY, "activityStart": first, "activityEnd": last})
    inside = {**MESSAGE_DAY, "activityStart": shifted(first, 1), "activityEnd": shifted(last, -1)}
    assert [row["messageId"] for row in exact] == [row["messageId"] for row in day]
    assert len(api.all_rows(DETAIL, inside)) == len(day) - 2


@pytest.mark.parametrize("field", ["activityStart", "activityEnd"])
def test_given_a_bare_date_when_posted_then_400(api: Api, field: str) -> None:
    answer = api.post(DETAIL, {**MESSAGE_DAY, field: "2026-03-04"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "400"
    assert field in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {**MESSAGE_DAY, "activityStart": "2026-03-05T00:00:00"},  # after the end
        {**MESSAGE_DAY, "activityStart": "2026-03-04T00:00:00+05:30"},  # not the format
        {**MESSAGE_DAY, "activityStart": "2026-03-04T00:00:00.5"},
        {**MESSAGE_DAY, "activityStart": "2026-02-30T00:00:00"},
        {**MESSAGE_DAY, "activityStart": None},
        {**MESSAGE_DAY, "activityStart": "2026-03-04T05:00:00Z"},  # one bound UTC, the other not
        {k: v for k, v in MESSAGE_DAY.items() if k != "activityType"},
        {**MESSAGE_DAY, "activityType": "assigned"},
        {**MESSAGE_DAY, "statuses": ["open", "pending"]},
        {**MESSAGE_DAY, "statuses": "open"},
        {**MESSAGE_DAY, "users": "someone"},
        {**MESSAGE_DAY, "conversationId": 7},
        {**MESSAGE_DAY, "tags": ["Urgent"]},  # unknown fields are refused, never ignored
        {**MESSAGE_DAY, "period": "day"},
    ],
)
def test_given_an_invalid_body_when_posted_then_400(api: Api, body: dict[str, Any]) -> None:
    answer = api.post(DETAIL, body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "400"


def test_given_an_unknown_field_group_when_posted_then_400(api: Api) -> None:
    answer = api.post(DETAIL, MESSAGE_DAY, fieldGroup="basic,replyData")
    assert answer.status_code == 400
    assert "replyData" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("key", "named", "not_named"),
    [
        (REPORTING_ONLY_KEY, "messages:read", "reporting,"),
        (NO_REPORTING_KEY, "reporting", "messages"),
    ],
)
def test_given_a_key_missing_a_scope_when_posting_then_403_naming_it(
    sandbox: Sandbox,
    key: str,
    named: str,
    not_named: str,
) -> None:
    answer = Api(sandbox.base_url, key).post(DETAIL, MESSAGE_DAY)
    assert answer.status_code == 403
    message = answer.json()["error"]["message"]
    assert named in message
    assert not_named not in message


def test_given_the_reporting_only_key_when_posting_an_aggregate_then_it_is_served(
    sandbox: Sandbox,
) -> None:
    body = {"mailboxId": DOCS_MAILBOX, "start": "2026-03-04T00:00:00", "end": "2026-03-04T23:59:59"}
    answer = Api(sandbox.base_url, REPORTING_ONLY_KEY).post(
        "mailboxPerformance", body | {"period": "day"}
    )
    assert answer.status_code == 200


def test_given_a_mailbox_outside_the_allowlist_when_posting_then_404(
    sandbox: Sandbox,
    control: SandboxControl,
) -> None:
    billing = mailbox_in(control, "Asia/Kolkata")
    answer = Api(sandbox.base_url, LIMITED_KEY).post(DETAIL, {**MESSAGE_DAY, "mailboxId": billing})
    assert answer.status_code == 404
    assert answer.json()["_links"]["origin"]["body"]["parameters"]["mailboxId"] == billing


@pytest.mark.parametrize(
    ("activity", "column"),
    [
        ("received", "receivedDateTime"),
        ("replied", "firstRepliedDateTime"),
        ("closed", "closedDateTime"),
    ],
)
def test_given_an_activity_when_run_then_rows_follow_its_time_then_the_message_id(
    api: Api,
    activity: str,
    column: str,
) -> None:
    # From the beginning of the data, a message's earliest reply in range is its first.
    body = {
        "mailboxId": DOCS_MAILBOX,
        "activityType": activity,
        "activityEnd": "2025-08-31T23:59:59",
    }
    rows = api.all_rows(DETAIL, body, max=500)
    assert len(rows) > 500
    assert [r["messageId"] for r in rows] == [
        r["messageId"] for r in sorted(rows, key=lambda r: (r[column], r["messageId"]))
    ]
    assert [r["messageId"] for r in api.all_rows(DETAIL, body, max=500)] == [
        r["messageId"] for r in rows
    ]


def test_given_a_message_with_replies_in_and_before_the_range_when_replied_then_one_row(
    api: Api,
    control: SandboxControl,
) -> None:
    timing = control.truth(report=DETAIL, fieldGroup="timing", **MESSAGE_DAY)
    chatty = next(row for row in timing if row["replyCount"] >= 2)
    first, last = chatty["firstRepliedDateTime"], chatty["lastRepliedDateTime"]
    replied = {**MESSAGE_DAY, "activityType": "replied", "activityEnd": last}
    both = api.all_rows(DETAIL, {**replied, "activityStart": first})
    later_only = api.all_rows(DETAIL, {**replied, "activityStart": shifted(first, 1)})
    for rows in (both, later_only):
        assert [r["messageId"] for r in rows].count(chatty["messageId"]) == 1
        assert len({r["messageId"] for r in rows}) == len(rows)


def test_given_more_rows_than_max_when_paging_then_links_and_cursors_follow_the_docs(
    api: Api,
) -> None:
    week = {**MESSAGE_DAY, "activityEnd": "2026-03-10T23:59:59"}
    first = api.run_to_done(DETAIL, week, max=25)
    pages = [first]
    while "next" in pages[-1]["_links"]:
        last_id = pages[-1]["result"]["data"][-1]["id"]
        assert pages[-1]["_links"]["next"]["href"].endswith(f"&starting_after={last_id}")
        pages.append(api.get(pages[-1]["_links"]["next"]["href"]).json())
    rows = [row for page in pages for row in page["result"]["data"]]
    assert len(pages) > 2
    assert "prev" in pages[1]["_links"]
    assert [int(r["id"]) for r in rows] == sorted({int(r["id"]) for r in rows})
    assert first["result"]["total"] == len(rows)
    whole = api.run_to_done(DETAIL, week, max=500)["result"]["data"]
    assert [r["messageId"] for r in rows] == [r["messageId"] for r in whole]


def test_given_statuses_when_filtering_then_only_rows_of_those_statuses(api: Api) -> None:
    every = api.all_rows(DETAIL, RECENT_MESSAGES, max=500)
    chosen = api.all_rows(DETAIL, {**RECENT_MESSAGES, "statuses": ["snoozed", "closed"]}, max=500)
    assert {row["status"] for row in every} == {"open", "snoozed", "closed"}
    assert without_ids(chosen) == [
        row for row in without_ids(every) if row["status"] in {"snoozed", "closed"}
    ]


def test_given_a_range_past_the_visible_time_when_run_then_a_cutoff_and_no_later_activity(
    api: Api,
    control: SandboxControl,
) -> None:
    done = api.run_to_done(DETAIL, RECENT_MESSAGES, max=500)
    visible = "2026-05-01T12:14:00Z"
    assert done["result"]["dataCutoffTimestamp"] == "2026-05-01T08:14:00.0"  # New York time
    assert max(activity_times(done["result"]["data"])) < visible
    control.advance(days=1)
    assert max(activity_times(api.all_rows(DETAIL, RECENT_MESSAGES, max=500))) >= visible


def test_given_the_clock_advances_when_rerun_then_only_the_provisional_result_changes(
    api: Api,
    control: SandboxControl,
) -> None:
    final = {**RECENT_MESSAGES, "activityEnd": "2026-04-30T23:59:59"}  # 2026-05-01T03:59:59Z
    before = [api.run_to_done(DETAIL, body, max=500)["result"] for body in (final, RECENT_MESSAGES)]
    control.advance(days=1)
    after = [api.run_to_done(DETAIL, body, max=500)["result"] for body in (final, RECENT_MESSAGES)]
    assert [("dataCutoffTimestamp" in r) for r in before + after] == [False, True, False, False]
    assert without_ids(before[0]["data"]) == without_ids(after[0]["data"])
    old = {row["messageId"]: row for row in without_ids(before[1]["data"])}
    new = {row["messageId"]: row for row in without_ids(after[1]["data"])}
    assert set(old) < set(new)  # messages received after the old visible time
    assert any(old[m] != new[m] for m in old)  # and replies, closes, snoozes since
