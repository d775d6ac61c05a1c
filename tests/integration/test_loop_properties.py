"""The whole loop, property-based: random zone, periods, clock and runs against the sandbox.

After every run the upserted rows equal the sandbox's ground truth (final periods as
they are for good, provisional ones as a fresh full extract would return them), no
period before a bookmark is provisional, and no run asks again for a final period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl, SandboxSettings
from emailgistics_sandbox.truth.periods import floor_local, next_local
from tests.inprocess import Sync, sync
from tests.truth import primary_key

if TYPE_CHECKING:
    from collections.abc import Iterator

STREAMS = {
    "mailbox_performance": ("mailboxPerformance", None),
    "user_performance": ("mailboxUserPerformance", "userId"),
    "domain_performance": ("mailboxDomainPerformance", "domain"),
}
#: Clock anchors: DST changes, local midnights, week and month boundaries (UTC).
ANCHORS = [
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),  # New York's second 01:00
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # New York springs forward
    datetime(2026, 4, 4, 16, 0, tzinfo=UTC),  # Sydney's second 02:00
    datetime(2026, 5, 31, 18, 30, tzinfo=UTC),  # Kolkata: midnight, 1 June, a Monday
    datetime(2026, 6, 1, 4, 0, tzinfo=UTC),  # New York: midnight, 1 June
    datetime(2026, 8, 30, 14, 0, tzinfo=UTC),  # Sydney: midnight, Monday 31 Aug
]
#: How far back start_date lies, by period (the range must stay a few windows long).
LOOKBACK = {"hour": timedelta(hours=30), "day": timedelta(days=9), "week": timedelta(days=25)}
LOOKBACK["month"] = timedelta(days=70)


@dataclass(frozen=True)
class Case:
    stream: str
    mailbox: int  # 0 New York, 1 Kolkata, 2 Sydney
    periods: tuple[str, ...]
    clock: datetime
    advances: tuple[int, ...]  # minutes between runs
    sparse: bool


@st.composite
def cases(draw: st.DrawFn) -> Case:
    anchor = draw(st.sampled_from(ANCHORS))
    return Case(
        stream=draw(st.sampled_from(sorted(STREAMS))),
        mailbox=draw(st.integers(0, 2)),
        periods=tuple(
            draw(st.lists(st.sampled_from(list(LOOKBACK)), min_size=1, max_size=2, unique=True))
        ),
        clock=anchor + timedelta(minutes=draw(st.integers(-150, 150))),
        advances=tuple(draw(st.lists(st.integers(0, 36 * 60), min_size=1, max_size=2))),
        sparse=draw(st.booleans()),
    )


@pytest.fixture(scope="module")
def control() -> Iterator[SandboxControl]:
    quiet = SandboxSettings(run_seconds=0, requests_per_minute=0, max_running_runs=0)
    with Sandbox(quiet) as sandbox:
        yield SandboxControl(sandbox.base_url)


def tap_config(base_url: str, case: Case, mailbox_id: str, zone: ZoneInfo) -> dict[str, Any]:
    local_clock = case.clock.astimezone(zone).replace(tzinfo=None)
    longest = max(LOOKBACK[p] for p in case.periods)
    return {
        "api_key": FULL_KEY,
        "base_url": base_url,
        "mailbox_ids": [mailbox_id],
        "periods": list(case.periods),
        "start_date": (local_clock - longest).strftime("%Y-%m-%dT%H:00:00"),
        "window_days": {"hour": 1, "day": 4, "week": 14, "month": 40},
        "poll_initial_seconds": 0,
        "poll_max_seconds": 0,
        "poll_jitter": 0,
    }


def expected_rows(
    control: SandboxControl, case: Case, mailbox_id: str, start: str, zone: ZoneInfo
) -> dict[Any, Any]:
    report, dimension = STREAMS[case.stream]
    now = datetime.fromisoformat(control.clock()["now"]).astimezone(zone).replace(tzinfo=None)
    expected = {}
    for period in case.periods:
        first = floor_local(now, period)
        end = first + timedelta(hours=1) if period == "hour" else next_local(first, period)
        rows = control.truth(
            report=report,
            mailboxId=mailbox_id,
            period=period,
            start=start,
            end=(end - timedelta(seconds=1)).isoformat(),
            fieldGroup="replyData,closeData",
        )
        for row in rows:
            full = {**row, "mailboxId": mailbox_id, "period": period}
            expected[primary_key(full, dimension)] = full
    return expected


def check_run(
    control: SandboxControl, case: Case, runs: list[Sync], config: dict[str, Any], zone: ZoneInfo
) -> None:
    dimension = STREAMS[case.stream][1]
    mailbox_id = config["mailbox_ids"][0]
    assert runs[-1].error is None, runs[-1].error
    loaded: dict[Any, Any] = {}
    for done in runs:
        for row in done.rows(case.stream):
            loaded[primary_key(row, dimension)] = row
    expected = expected_rows(control, case, mailbox_id, config["start_date"], zone)
    assert sorted(loaded) == sorted(expected)
    for key, row in expected.items():
        assert {k: loaded[key].get(k) for k in row} == row, key
    for (_, period), bookmark in runs[-1].bookmarks(case.stream).items():
        for key, row in expected.items():
            if key[1] == period and bookmark and row["startDateTime"] < bookmark:
                assert row["isFinal"], (period, bookmark, row["startDateTime"])


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_given_any_clock_and_runs_when_loaded_then_rows_equal_truth_and_finals_stay_put(
    control: SandboxControl, case: Case, tmp_path_factory: pytest.TempPathFactory
) -> None:
    mailbox = [m for m in control.mailboxes() if m["active"]][case.mailbox]
    zone = ZoneInfo(mailbox["timeZone"])
    control.update_settings(sparseRows=case.sparse)
    control.set_clock(case.clock.isoformat())
    config = tap_config(control.base_url, case, mailbox["mailboxId"], zone)
    # Each example is a new account history (clock, data): no runs journaled by another.
    config["run_journal_dir"] = str(tmp_path_factory.mktemp("journal"))
    runs = [sync(config, {case.stream})]
    check_run(control, case, runs, config, zone)
    for minutes in case.advances:
        before = runs[-1].bookmarks(case.stream)
        control.advance(minutes=minutes)
        control.clear_requests()
        runs.append(sync(config, {case.stream}, runs[-1].state))
        check_run(control, case, runs, config, zone)
        for post in (r for r in control.requests() if r["method"] == "POST"):
            partition = (post["body"]["mailboxId"], post["body"]["period"])
            assert post["body"]["start"] >= (before[partition] or ""), "a final period re-asked"
