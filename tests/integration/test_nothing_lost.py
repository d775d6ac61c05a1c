"""Issue "Nothing lost": each failure the run engine must not repeat, over real HTTP.

Every test here failed before the run engine verified completion and finality.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl, SandboxSettings
from tap_emailgistics.errors import PartitionsFailedError
from tests.inprocess import Sync, sync
from tests.truth import primary_key

if TYPE_CHECKING:
    from collections.abc import Iterator

NEW_YORK = "af412a6c-657f-445b-892c-b6b1fa41ad1b"
FAST = {"poll_initial_seconds": 0.01, "poll_max_seconds": 0.02, "poll_jitter": 0}
QUIET = {"run_seconds": 0, "requests_per_minute": 0, "max_running_runs": 0}


def config(base_url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "api_key": FULL_KEY,
        "base_url": base_url,
        "mailbox_ids": [NEW_YORK],
        "periods": ["day"],
        **FAST,
        **overrides,
    }


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(**QUIET)) as running:  # type: ignore[arg-type]
        yield running


@pytest.fixture
def control(sandbox: Sandbox) -> SandboxControl:
    return SandboxControl(sandbox.base_url)


def upsert(syncs: list[Sync], stream: str, dimension: str | None) -> dict[Any, Any]:
    merged: dict[Any, Any] = {}
    for done in syncs:
        for row in done.rows(stream):
            merged[primary_key(row, dimension)] = row
    return merged


def truth(
    control: SandboxControl, report: str, dimension: str | None, **query: Any
) -> dict[Any, Any]:
    rows = control.truth(report=report, fieldGroup="replyData,closeData", **query)
    period = query["period"]
    return {
        primary_key({**row, "mailboxId": query["mailboxId"], "period": period}, dimension): row
        for row in rows
    }


def assert_upserted_equals_truth(
    syncs: list[Sync], expected: dict[Any, Any], stream: str, dimension: str | None
) -> None:
    loaded = upsert(syncs, stream, dimension)
    assert sorted(loaded) == sorted(expected)
    for key, row in expected.items():
        assert {k: loaded[key].get(k) for k in row} == row, key


def test_given_a_quiet_window_just_after_midnight_when_rerun_then_the_day_is_not_lost(
    sandbox: Sandbox,
    control: SandboxControl,
) -> None:
    # 00:16 in New York: data is visible up to 00:01, none of it yet for the new day.
    control.set_clock("2026-10-14T04:16:00Z")
    settings = config(sandbox.base_url, start_date="2026-10-10", end_date="2026-10-16")
    streams = {"domain_performance"}
    first = sync(settings, streams)
    assert first.error is None
    assert first.bookmarks("domain_performance")[NEW_YORK, "day"] == "2026-10-14T00:00:00"
    second = sync(settings, streams, first.state)  # the quiet window: [10-14, 10-16)
    assert second.error is None
    assert second.bookmarks("domain_performance")[NEW_YORK, "day"] == "2026-10-14T00:00:00"
    control.set_clock("2026-10-16T12:00:00Z")
    third = sync(settings, streams, second.state)
    expected = truth(
        control,
        "mailboxDomainPerformance",
        "domain",
        mailboxId=NEW_YORK,
        period="day",
        start="2026-10-10T00:00:00",
        end="2026-10-15T23:59:59",
    )
    assert_upserted_equals_truth([first, second, third], expected, "domain_performance", "domain")


def test_given_a_domain_only_in_the_second_repeated_hour_when_synced_then_keyed_at_0600z() -> None:
    settings = SandboxSettings(
        **QUIET,  # type: ignore[arg-type]
        second_hour_domain="adventure-works.com",
        now=datetime(2026, 11, 3, tzinfo=UTC),
    )
    with Sandbox(settings) as sandbox:
        done = sync(
            config(
                sandbox.base_url,
                periods=["hour"],
                start_date="2026-11-01T00:00:00",
                end_date="2026-11-01T04:00:00",
            ),
            {"domain_performance"},
        )
        expected = truth(
            SandboxControl(sandbox.base_url),
            "mailboxDomainPerformance",
            "domain",
            mailboxId=NEW_YORK,
            period="hour",
            start="2026-11-01T00:00:00",
            end="2026-11-01T03:59:59",
        )
    assert done.error is None
    assert_upserted_equals_truth([done], expected, "domain_performance", "domain")
    second_hour = {
        r["startDateTimeUtc"]
        for r in done.rows("domain_performance")
        if r["domain"] == "adventure-works.com"
    }
    assert "2026-11-01T06:00:00Z" in second_hour
    assert "2026-11-01T05:00:00Z" not in second_hour


def test_given_no_end_date_when_synced_then_the_range_ends_at_the_apis_now_not_the_hosts(
    sandbox: Sandbox,
    control: SandboxControl,
) -> None:
    control.set_clock("2026-05-01T12:29:00Z")  # the host's clock is months later
    done = sync(config(sandbox.base_url, start_date="2026-04-28"), {"mailbox_performance"})
    assert done.error is None
    posts = [r for r in control.requests() if r["method"] == "POST"]
    assert [p["body"]["end"] for p in posts] == ["2026-05-01T23:59:59"]
    rows = done.rows("mailbox_performance")
    assert [r["startDateTime"][:10] for r in rows] == [
        "2026-04-28",
        "2026-04-29",
        "2026-04-30",
        "2026-05-01",
    ]


def test_given_a_post_that_fails_after_queuing_when_synced_then_the_engine_recreates_once(
    sandbox: Sandbox,
    control: SandboxControl,
    caplog: pytest.LogCaptureFixture,
) -> None:
    control.set_faults([{"kind": "queue_then_fail", "status": 502, "times": 1, "method": "POST"}])
    settings = config(sandbox.base_url, start_date="2026-04-28", end_date="2026-05-01")
    with caplog.at_level(logging.DEBUG):
        done = sync(settings, {"mailbox_performance"})
    assert done.error is None
    posts = [r for r in control.requests() if r["method"] == "POST"]
    assert [p["status"] for p in posts] == [502, 200]
    assert control.runs()["orphans"] == 1  # the queued run the 502 hid; never read
    assert "; re-creating the run (in " in caplog.text


def test_given_four_failed_posts_in_a_row_when_synced_then_recreated_with_backoff_not_given_up(
    sandbox: Sandbox,
    control: SandboxControl,
) -> None:
    # A short storm: each failed POST may have queued a run, and each such orphan holds
    # a slot, so the engine re-creates on a time budget rather than a small count.
    control.set_faults([{"kind": "queue_then_fail", "status": 503, "method": "POST", "times": 4}])
    settings = config(
        sandbox.base_url, start_date="2026-04-28", end_date="2026-05-01", run_error_retries=0
    )
    done = sync(settings, {"mailbox_performance"})
    assert done.error is None
    posts = [r["status"] for r in control.requests() if r["method"] == "POST"]
    assert posts == [503, 503, 503, 503, 200]
    assert control.runs()["orphans"] == 4
    assert control.runs()["peakRunning"] <= 3  # every orphan held a slot
    assert [r for r in control.requests() if r["status"] == 429] == []
    assert len(done.rows("mailbox_performance")) == 3


def test_given_posts_that_keep_failing_when_the_time_budget_is_spent_then_the_partition_fails(
    sandbox: Sandbox, control: SandboxControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tap_emailgistics.engine.recreation.POST_RETRY_SECONDS", 1.0)
    control.set_faults([{"kind": "http_error", "status": 503, "method": "POST"}])
    settings = config(sandbox.base_url, start_date="2026-04-28", end_date="2026-05-01")
    done = sync(settings, {"mailbox_performance"})
    assert isinstance(done.error, PartitionsFailedError)
    [(_, failure)] = done.error.failures
    assert "failed POSTs: rerun later" in str(failure)
    assert "bookmark did not move" in str(failure)
    assert done.bookmarks("mailbox_performance") == {}


def test_given_429_without_retry_after_when_rate_limited_then_the_tap_waits_the_minimum(
    sandbox: Sandbox,
    control: SandboxControl,
) -> None:
    control.update_settings(retryAfterHeader=False)
    control.set_faults([{"kind": "rate_limit_burst", "burst": 1, "times": 1, "path": "/reports/"}])
    settings = config(
        sandbox.base_url,
        start_date="2026-04-28",
        end_date="2026-05-01",
        rate_limit_wait_seconds=1.5,
    )
    done = sync(settings, {"mailbox_performance"})
    assert done.error is None
    log = [r for r in control.requests() if r["path"].startswith("/api/v1/reports/")]
    assert [r["status"] for r in log[:2]] == [429, 200]
    assert log[1]["monotonic"] - log[0]["monotonic"] >= 1.5


def test_given_no_date_header_when_synced_then_the_host_clock_stands_in_with_a_warning(
    sandbox: Sandbox,
    control: SandboxControl,
    caplog: pytest.LogCaptureFixture,
) -> None:
    control.update_settings(dateHeader=False)
    settings = config(sandbox.base_url, start_date="2026-04-28", end_date="2026-05-01")
    with caplog.at_level(logging.WARNING):
        done = sync(settings, {"mailbox_performance"})
    assert done.error is None
    assert "sent no HTTP Date header" in caplog.text
    assert len(done.rows("mailbox_performance")) == 3


def test_given_rows_that_omit_null_columns_when_loaded_then_every_column_is_an_explicit_null(
    sandbox: Sandbox,
    control: SandboxControl,
) -> None:
    control.update_settings(omitNullProbability=1.0)
    settings = config(sandbox.base_url, start_date="2025-06-28", end_date="2025-07-03")
    done = sync(settings, {"mailbox_performance"})
    assert done.error is None
    rows = done.rows("mailbox_performance")
    assert rows
    assert all("averageElapsedCloseTime" in row for row in rows)  # present, even when null
    assert any(row["averageElapsedCloseTime"] is None for row in rows)
    expected = truth(
        control,
        "mailboxPerformance",
        None,
        mailboxId=NEW_YORK,
        period="day",
        start="2025-06-28T00:00:00",
        end="2025-07-02T23:59:59",
    )
    assert_upserted_equals_truth([done], expected, "mailbox_performance", None)


def test_given_no_cutoff_for_an_open_second_hour_when_synced_then_that_hour_stays_provisional(
    sandbox: Sandbox,
    control: SandboxControl,
) -> None:
    # The older reading: an `end` inside the repeated hour is its first occurrence, so
    # no cutoff is sent although the second 01:00 (06:00-07:00Z) is still open.
    control.update_settings(ambiguousEnd="first", lagMinutes=0)
    control.set_clock("2026-11-01T06:40:00Z")
    settings = config(sandbox.base_url, periods=["hour"], start_date="2026-11-01T00:00:00")
    done = sync(settings, {"mailbox_performance"})
    assert done.error is None
    finality = {r["startDateTimeUtc"]: r["isFinal"] for r in done.rows("mailbox_performance")}
    assert finality["2026-11-01T05:00:00Z"] is True
    assert finality["2026-11-01T06:00:00Z"] is False
    assert done.bookmarks("mailbox_performance")[NEW_YORK, "hour"] == "2026-11-01T01:00:00"
