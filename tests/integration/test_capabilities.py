"""The capabilities meltano.yml declares beyond the standard suite actually work."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from jsonschema import Draft7Validator
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_emailgistics.catalog.registry import stream_definitions
from tap_emailgistics.streams.reports import ReportStream
from tap_emailgistics.tap import TapEmailgistics
from tests.inprocess import sync

from .conftest import STRUCTURED_LOG_CONFIG, run_tap, tap_config

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from emailgistics_sandbox import Sandbox, SandboxControl


def test_given_maps_flattening_and_a_log_config_when_run_then_each_takes_effect(
    sandbox: Sandbox,
    tmp_path: Path,
) -> None:
    log_config = tmp_path / "logging.yml"
    log_config.write_text(STRUCTURED_LOG_CONFIG)
    config = tap_config(
        sandbox.base_url,
        start_date="2026-04-28",
        end_date="2026-05-01",
        stream_maps={
            "mailbox_performance": {"receivedTwice": "received * 2", "id": "__NULL__"},
            "domain_performance": None,
        },
        flattening_enabled=True,
        flattening_max_depth=1,
    )
    run = run_tap(tmp_path, config, env={"SINGER_SDK_LOG_CONFIG": str(log_config)})
    assert run.returncode == 0, run.stderr
    # stream-maps: a computed column, a removed column, a removed stream
    rows = run.rows("mailbox_performance")
    assert rows
    assert all("id" not in r and r["receivedTwice"] == 2 * r["received"] for r in rows)
    assert not run.rows("domain_performance")
    # schema-flattening: nested arrays arrive as JSON text at depth 1
    assert all(isinstance(m["users"], str) for m in run.rows("mailboxes"))
    # structured-logging: every log line is a JSON object
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines
    assert all(json.loads(line)["level"] for line in lines)


def test_given_structured_logging_when_a_sync_runs_then_one_summary_per_stream_and_sync(
    sandbox: Sandbox,
    tmp_path: Path,
) -> None:
    log_config = tmp_path / "logging.yml"
    log_config.write_text(STRUCTURED_LOG_CONFIG)
    config = tap_config(sandbox.base_url, start_date="2026-04-01", window_days={"day": 16})
    run = run_tap(tmp_path, config, env={"SINGER_SDK_LOG_CONFIG": str(log_config)})
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in run.stderr.splitlines() if line.strip()]
    messages = [r["message"] for r in records]
    for stream in ("mailbox_performance", "user_performance", "domain_performance"):
        [summary] = [m for m in messages if m.startswith(f"{stream} summary: ")]
        rows = len(run.rows(stream))
        assert summary.startswith(f"{stream} summary: {rows} rows, ")
        assert " answered 429, " in summary
        assert "; next sync resumes from provisional_from 2026-05-0" in summary
    [whole] = [m for m in messages if m.startswith("Sync summary: ")]
    assert whole.startswith("Sync summary: 9 of 9 partitions verified; ")  # 3 mailboxes x 3
    # Per-run and per-window lines are DEBUG: INFO stays O(streams), whatever the runs.
    assert not [m for m in messages if m.startswith(("Report run at ", "Paced "))]
    assert not [m for m in messages if " verified" in m and "summary" not in m]


def without_id(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "id"}


def test_given_every_report_stream_when_the_sdks_type_conformance_is_on_then_nothing_changes(
    sandbox: Sandbox, control: SandboxControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ReportStream turns the SDK's per-value conformance off (it was ~40% of the CPU
    # per row): its records are JSON values of the declared types already.
    control.update_settings(omitNullProbability=0.5, requestsPerMinute=0, maxRunningRuns=0)
    config = tap_config(
        sandbox.base_url,
        include_details=True,  # display columns, booleans among them
        periods=["day", "hour"],
        start_date="2026-04-30",
        end_date="2026-05-02",
        requests_per_minute=10_000,
    )
    streams = {d.name for d in stream_definitions()}
    assert ReportStream.TYPE_CONFORMANCE_LEVEL is TypeConformanceLevel.NONE
    as_shipped = sync(config, streams)
    monkeypatch.setattr(ReportStream, "TYPE_CONFORMANCE_LEVEL", TypeConformanceLevel.RECURSIVE)
    conformed = sync(config, streams)
    assert as_shipped.error is None
    assert conformed.error is None
    for stream in streams:
        rows = as_shipped.rows(stream)
        assert rows, stream
        # Row ids are result cursors, new in every run: the rest must be equal.
        assert [without_id(r) for r in rows] == [without_id(r) for r in conformed.rows(stream)]
        schema = TapEmailgistics(config=config).streams[stream].schema
        validator = Draft7Validator(schema)
        assert all(validator.is_valid(row) for row in rows), stream


def test_given_meltanos_log_config_when_the_tap_loglevel_is_debug_then_debug_lines_appear(
    sandbox: Sandbox,
    tmp_path: Path,
) -> None:
    # Meltano hands the tap a log configuration whose root level is INFO; the tap's own
    # LOGLEVEL still applies to its loggers.
    log_config = tmp_path / "logging.yml"
    log_config.write_text(STRUCTURED_LOG_CONFIG)
    config = tap_config(sandbox.base_url, start_date="2026-04-28", end_date="2026-05-01")
    env = {"SINGER_SDK_LOG_CONFIG": str(log_config)}
    quiet = run_tap(tmp_path, config, env=env)
    loud = run_tap(tmp_path, config, env={**env, "TAP_EMAILGISTICS_LOGLEVEL": "debug"})
    assert quiet.returncode == loud.returncode == 0, loud.stderr

    def levels(stderr: str) -> set[str]:
        return {json.loads(line)["level"] for line in stderr.splitlines() if line.strip()}

    assert "debug" not in levels(quiet.stderr)
    assert "debug" in levels(loud.stderr)
    debug = [json.loads(line) for line in loud.stderr.splitlines() if '"debug"' in line]
    assert any("verified" in record["message"] for record in debug)  # the tap's own lines
