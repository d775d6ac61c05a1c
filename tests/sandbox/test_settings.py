"""Run length that grows with the result, and the new settings' knobs and options."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings
from emailgistics_sandbox.cli import build_parser, settings_from

from .conftest import DAYS, Api

if TYPE_CHECKING:
    from collections.abc import Iterator

TWO_DAYS = {**DAYS, "end": "2026-01-02T23:59:59"}


@pytest.fixture
def per_row() -> Iterator[Sandbox]:
    """Runs of 0.1 s plus 10 ms a row."""
    settings = SandboxSettings(run_seconds=0.1, run_seconds_per_row=0.01, requests_per_minute=0)
    with Sandbox(settings) as running:
        yield running


def test_given_run_seconds_per_row_when_results_differ_in_size_then_runs_last_accordingly(
    per_row: Sandbox,
) -> None:
    api = Api(per_row.base_url)
    big = api.post("mailboxPerformance", DAYS).json()["_links"]["self"]["href"]
    small = api.post("mailboxPerformance", TWO_DAYS).json()["_links"]["self"]["href"]
    time.sleep(0.3)
    statuses = (api.get(small).json()["status"], api.get(big).json()["status"])
    durations = [run["durationSeconds"] for run in SandboxControl(per_row.base_url).runs()["runs"]]
    assert statuses == ("done", "running")
    assert durations == pytest.approx([0.1 + 100 * 0.01, 0.1 + 2 * 0.01])


def test_given_run_seconds_per_row_and_instant_rows_when_a_tiny_result_is_posted_then_done(
    per_row: Sandbox,
) -> None:
    SandboxControl(per_row.base_url).update_settings(instantRows=2)
    answer = Api(per_row.base_url).post("mailboxPerformance", TWO_DAYS).json()
    assert answer["status"] == "done"


def test_given_the_defaults_when_reading_settings_then_the_new_knobs_are_described(
    control: SandboxControl,
) -> None:
    described = control.update_settings()
    assert described["neighbourRuns"] == 0
    assert described["neighbourRunSeconds"] is None
    assert described["runSecondsPerRow"] == 0.0


def test_given_the_new_knobs_when_patched_then_the_settings_describe_the_new_values(
    control: SandboxControl,
) -> None:
    described = control.update_settings(
        runSecondsPerRow=0.5, neighbourRuns=2, neighbourRunSeconds=4
    )
    knobs = ("runSecondsPerRow", "neighbourRuns", "neighbourRunSeconds")
    assert [described[name] for name in knobs] == [0.5, 2, 4.0]
    assert control.update_settings(neighbourRunSeconds=None)["neighbourRunSeconds"] is None


def test_given_the_new_cli_options_when_parsed_then_the_settings_carry_them() -> None:
    args = build_parser().parse_args(
        ["--run-seconds-per-row", "0.02", "--neighbour-runs", "2", "--neighbour-run-seconds", "3"]
    )
    settings = settings_from(args)
    assert settings.run_seconds_per_row == 0.02
    assert (settings.neighbour_runs, settings.neighbour_run_seconds) == (2, 3.0)
