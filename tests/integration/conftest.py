"""A sandbox over real HTTP for the SDK's standard suite and the scenario tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl, SandboxSettings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

FAST_POLLING = {"poll_initial_seconds": 0.02, "poll_max_seconds": 0.05, "poll_jitter": 0}


def tap_config(base_url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "api_key": FULL_KEY,
        "base_url": base_url,
        "start_date": "2026-04-20",
        "end_date": "2026-05-03",
        "periods": ["day"],
        **FAST_POLLING,
        **overrides,
    }


@dataclass
class TapRun:
    returncode: int
    records: list[dict[str, Any]]
    states: list[dict[str, Any]]
    stderr: str
    messages: list[dict[str, Any]] = field(default_factory=list)  # every one, in order

    def rows(self, stream: str) -> list[dict[str, Any]]:
        return [m["record"] for m in self.records if m["stream"] == stream]

    @classmethod
    def of(cls, returncode: int, messages: list[dict[str, Any]], stderr: str = "") -> TapRun:
        """The RECORD and STATE messages of a run (a process's or an in-process sync's)."""
        records = [m for m in messages if m["type"] == "RECORD"]
        states = [m["value"] for m in messages if m["type"] == "STATE"]
        return cls(returncode, records, states, stderr, messages)


def run_tap(
    tmp_path: Path,
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    catalog: dict[str, Any] | None = None,
) -> TapRun:
    """Run the installed tap as a user would: a process, a config file, stdout."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    command = [sys.executable, "-m", "tap_emailgistics", "--config", str(config_file)]
    if catalog is not None:
        (tmp_path / "catalog.json").write_text(json.dumps(catalog))
        command += ["--catalog", str(tmp_path / "catalog.json")]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, **(env or {})},
    )
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return TapRun.of(done.returncode, messages, done.stderr)


def kill_tap_when(
    tmp_path: Path,
    config: dict[str, Any],
    until: Callable[[str], bool],
    then_read: int = 0,
    catalog: dict[str, Any] | None = None,
) -> TapRun:
    """Run the tap as a process; SIGKILL it once a stdout line satisfies ``until`` and
    ``then_read`` more lines have come; what it wrote until then."""
    (tmp_path / "config.json").write_text(json.dumps(config))
    tap = [sys.executable, "-m", "tap_emailgistics", "--config", str(tmp_path / "config.json")]
    if catalog is not None:
        (tmp_path / "catalog.json").write_text(json.dumps(catalog))
        tap += ["--catalog", str(tmp_path / "catalog.json")]
    with subprocess.Popen(
        tap, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        while not until(lines[-1]):
            lines.append(process.stdout.readline())
        lines += [process.stdout.readline() for _ in range(then_read)]
        process.kill()
        lines += process.stdout.read().splitlines()
    return TapRun.of(-9, [json.loads(line) for line in lines if line.strip()])


NEW_YORK = "af412a6c-657f-445b-892c-b6b1fa41ad1b"


def unlimited(run_seconds: float) -> SandboxSettings:
    """A sandbox without the account's limits, for tests about one failure at a time."""
    return SandboxSettings(run_seconds=run_seconds, requests_per_minute=0, max_running_runs=0)


def one_mailbox_config(base_url: str, **overrides: Any) -> dict[str, Any]:
    """Three days of New York's day reports, polling fast."""
    return {
        "api_key": FULL_KEY,
        "base_url": base_url,
        "mailbox_ids": [NEW_YORK],
        "start_date": "2026-04-20",
        "end_date": "2026-04-23",
        "periods": ["day"],
        "poll_jitter": 0,
        **overrides,
    }


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    settings = SandboxSettings(run_seconds=0.05)
    with Sandbox(settings) as running:
        yield running


@pytest.fixture
def control(sandbox: Sandbox) -> SandboxControl:
    return SandboxControl(sandbox.base_url)


#: What Meltano hands the tap in SINGER_SDK_LOG_CONFIG: JSON records on stderr.
STRUCTURED_LOG_CONFIG = """
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
