"""Sandbox data, periods, finality and the documented envelope shapes."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from emailgistics_sandbox.truth.periods import buckets

from .conftest import DOCS_MAILBOX, Api

if TYPE_CHECKING:
    from emailgistics_sandbox import SandboxControl

SEEDS = json.loads((Path(__file__).parents[1] / "fixtures" / "seed_envelopes.json").read_text())
MONTHLY = {
    "mailboxId": DOCS_MAILBOX,
    "start": "2026-01-01T00:00:00",
    "end": "2026-05-01T00:00:00",
    "period": "month",
}
HOURLY = {
    "mailboxId": DOCS_MAILBOX,
    "start": "2026-04-15T00:00:00",
    "end": "2026-04-16T00:00:00",
    "period": "hour",
}


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively; lists by the shape of their first item."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def test_given_the_docs_monthly_request_when_run_then_envelopes_match_the_seed_shape(
    api: Api,
) -> None:
    running = api.post("mailboxPerformance", MONTHLY, fieldGroup="replyData,closeData").json()
    assert set(running) == set(SEEDS["monthly_running"])
    assert shape(running["_links"]) == shape(SEEDS["monthly_running"]["_links"])
    assert shape(running["result"]) == shape(SEEDS["monthly_running"]["result"])
    done = api.run_to_done("mailboxPerformance", MONTHLY, fieldGroup="replyData,closeData")
    seed = SEEDS["monthly_done"]
    assert shape({k: v for k, v in done.items() if k != "result"}) == shape(
        {k: v for k, v in seed.items() if k != "result"}
    )
    assert set(done["result"]) == set(seed["result"])
    assert done["result"]["total"] == 4  # Jan..Apr: an end on a boundary is exclusive
    assert done["result"]["dataCutoffTimestamp"] == "2026-05-01T08:14:00.0"
    assert set(seed["result"]["data"][0]) <= set(done["result"]["data"][0])
    assert [r["startDateTime"][:7] for r in done["result"]["data"]] == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
    ]
    assert done["_links"]["origin"]["body"]["parameters"] == MONTHLY


def test_given_the_docs_hourly_request_when_run_then_24_rows_that_may_omit_metrics(
    api: Api,
    control: SandboxControl,
) -> None:
    control.set_clock("2026-04-16T04:15:00Z")  # cutoff 2026-04-16T00:00 in New York
    done = api.run_to_done("mailboxPerformance", HOURLY)
    seed = SEEDS["hourly_done"]
    assert set(done["result"]) == set(seed["result"])
    assert done["result"]["total"] == 24
    assert done["result"]["dataCutoffTimestamp"] == "2026-04-16T00:00:00.0"
    for row in done["result"]["data"]:
        assert {"id", "startDateTime", "received"} <= set(row)
        assert shape({k: v for k, v in row.items() if k in seed["result"]["data"][0]}) == {
            k: shape(v) for k, v in seed["result"]["data"][0].items() if k in row
        }
    assert any("averageMailboxInitialReplyTime" not in row for row in done["result"]["data"])


@pytest.mark.parametrize(
    ("zone", "period", "start", "end", "expected"),
    [
        (
            "America/New_York",
            "hour",
            "2026-11-01T00:00",
            "2026-11-01T03:00",
            ["00:00", "01:00", "01:00", "02:00"],
        ),
        (
            "America/New_York",
            "hour",
            "2026-03-08T00:00",
            "2026-03-08T04:00",
            ["00:00", "01:00", "03:00"],
        ),
        (
            "Asia/Kolkata",
            "hour",
            "2026-03-08T00:00",
            "2026-03-08T02:00",
            ["00:00", "01:00"],
        ),
    ],
)
def test_given_dst_and_odd_offsets_when_bucketing_hours_then_wall_clock_order(
    zone: str,
    period: str,
    start: str,
    end: str,
    expected: list[str],
) -> None:
    result = buckets(
        ZoneInfo(zone),
        period,
        datetime.fromisoformat(start),
        datetime.fromisoformat(end),
    )
    assert [b.local_start.strftime("%H:%M") for b in result] == expected
    assert all(b.utc_end - b.utc_start == result[0].utc_end - result[0].utc_start for b in result)


def test_given_week_and_month_when_bucketing_then_monday_weeks_and_local_midnights() -> None:
    sydney = ZoneInfo("Australia/Sydney")
    weeks = buckets(sydney, "week", datetime(2026, 4, 1), datetime(2026, 4, 20, 12))
    assert [b.local_start.weekday() for b in weeks] == [0, 0, 0, 0]
    assert weeks[0].local_start == datetime(2026, 3, 30)
    days = buckets(sydney, "day", datetime(2026, 4, 5), datetime(2026, 4, 5, 12))
    assert (days[0].utc_end - days[0].utc_start).total_seconds() == 25 * 3600  # DST ends


def test_given_all_reports_when_summed_then_they_agree_per_period(api: Api) -> None:
    body = {
        "mailboxId": DOCS_MAILBOX,
        "start": "2026-03-01T00:00:00",
        "end": "2026-03-08T00:00:00",
        "period": "day",
    }
    mailbox = {r["startDateTime"]: r["received"] for r in api.all_rows("mailboxPerformance", body)}
    by_domain: Counter[str] = Counter()
    for row in api.all_rows("mailboxDomainPerformance", body):
        by_domain[row["startDateTime"]] += row["received"]
    by_user: Counter[str] = Counter()
    for row in api.all_rows("mailboxUserPerformance", body):
        by_user[row["startDateTime"]] += row["received"]
    assert len(mailbox) == 7
    assert sum(mailbox.values()) > 0
    assert dict(by_domain) == {k: v for k, v in mailbox.items() if v}
    assert dict(by_user) == mailbox


def test_given_user_filters_and_details_when_run_then_rows_follow_them(
    api: Api,
) -> None:
    mailbox = api.get("/api/v1/admin/mailboxes").json()["mailboxes"][0]
    user = mailbox["users"][0]
    body = {
        "mailboxId": DOCS_MAILBOX,
        "start": "2026-03-02T00:00:00",
        "end": "2026-03-03T00:00:00",
        "period": "day",
        "users": [user["userId"], "unknown", "not-a-user"],
    }
    rows = api.all_rows("mailboxUserPerformance", body, includeDetails="true")
    assert [r["userId"] for r in rows] == [user["userId"], "unknown"]
    assert rows[0]["userName"] == user["userName"]
    assert rows[1]["userName"] is None
    domains = api.all_rows(
        "mailboxDomainPerformance",
        {**body, "domains": ["CONTOSO.com"]},
        fieldGroup="closeData",
    )
    assert [r["domain"] for r in domains] == ["contoso.com"]
    assert "closedArchived" in domains[0]
    assert "initialReplies" not in domains[0]


def test_given_a_provisional_result_when_the_clock_advances_then_only_open_periods_change(
    api: Api,
    control: SandboxControl,
) -> None:
    body = {
        "mailboxId": DOCS_MAILBOX,
        "start": "2026-04-24T00:00:00",
        "end": "2026-05-01T23:59:59",
        "period": "day",
    }
    before = api.run_to_done("mailboxPerformance", body)
    assert before["result"]["dataCutoffTimestamp"] == "2026-05-01T08:14:00.0"
    control.advance(days=1)
    after = api.run_to_done("mailboxPerformance", body)
    assert "dataCutoffTimestamp" not in after["result"]  # every period is final now
    strip = [{k: v for k, v in r.items() if k != "id"} for r in before["result"]["data"]]
    fresh = [{k: v for k, v in r.items() if k != "id"} for r in after["result"]["data"]]
    assert strip[:-1] == fresh[:-1]  # final days are identical
    assert strip[-1] != fresh[-1]  # May 1 was provisional and grew
    assert strip[-1]["received"] < fresh[-1]["received"]


def test_given_a_query_when_asking_ground_truth_then_rows_carry_finality_and_utc(
    api: Api,
    control: SandboxControl,
) -> None:
    body = {
        "mailboxId": DOCS_MAILBOX,
        "start": "2026-04-29T00:00:00",
        "end": "2026-05-01T23:59:59",
        "period": "day",
    }
    truth = control.truth(report="mailboxPerformance", fieldGroup="replyData,closeData", **body)
    rows = api.all_rows("mailboxPerformance", body, fieldGroup="replyData,closeData")
    assert [t["isFinal"] for t in truth] == [True, True, False]
    assert truth[0]["startDateTimeUtc"] == "2026-04-29T04:00:00Z"
    assert [{k: v for k, v in r.items() if k != "id"} for r in rows] == [
        {k: v for k, v in t.items() if k not in {"isFinal", "startDateTimeUtc"}} for t in truth
    ]
