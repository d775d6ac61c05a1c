"""The capabilities meltano.yml declares beyond the standard suite actually work."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .conftest import run_tap, tap_config

if TYPE_CHECKING:
    from pathlib import Path

    from emailgistics_sandbox import Sandbox

LOG_CONFIG = """
version: 1
disable_existing_loggers: false
formatters:
  structured:
    (): singer_sdk.logging.StructuredFormatter
handlers:
  stderr:
    class: logging.StreamHandler
    formatter: structured
    stream: ext://sys.stderr
root:
  level: INFO
  handlers: [stderr]
"""


def test_given_maps_flattening_and_a_log_config_when_run_then_each_takes_effect(
    sandbox: Sandbox,
    tmp_path: Path,
) -> None:
    log_config = tmp_path / "logging.yml"
    log_config.write_text(LOG_CONFIG)
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


def test_given_structured_logging_when_a_sync_runs_then_progress_and_one_summary_per_stream(
    sandbox: Sandbox,
    tmp_path: Path,
) -> None:
    log_config = tmp_path / "logging.yml"
    log_config.write_text(LOG_CONFIG)
    config = tap_config(sandbox.base_url, start_date="2026-04-01", window_days={"day": 16})
    run = run_tap(tmp_path, config, env={"SINGER_SDK_LOG_CONFIG": str(log_config)})
    assert run.returncode == 0, run.stderr
    messages = [json.loads(line)["message"] for line in run.stderr.splitlines() if line.strip()]
    for stream in ("mailbox_performance", "user_performance", "domain_performance"):
        [summary] = [m for m in messages if m.startswith(f"{stream} summary: ")]
        rows = len(run.rows(stream))
        assert summary.startswith(f"{stream} summary: {rows} rows, ")
        assert " answered 429, " in summary
        assert "; next run resumes from provisional_from 2026-05-0" in summary
        windows = [m for m in messages if m.startswith(f"{stream}: ") and " verified" in m]
        assert any("window 1 of 2 verified, partition about " in m for m in windows)
        assert any("window 2 of 2 verified, partition done" in m for m in windows)
    polls = [m for m in messages if m.startswith("Report run at ")]
    assert polls
    assert all("(domain_performance: report " in m or "performance: report " in m for m in polls)
