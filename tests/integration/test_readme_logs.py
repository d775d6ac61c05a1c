"""The "Watching a sync" sample of docs/operating.md: each line is shaped like one the tap prints.

A sync against the sandbox prints each kind of INFO and ERROR line the sample shows (a
heartbeat at every wait, one mailbox failing); numbers, ids, instants and durations
aside, each sample line must be one of them, so the sample cannot drift from the code.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from tap_emailgistics.cli import error_line
from tests.inprocess import sync
from tests.readme import readme_block
from tests.truth import REPORT_STREAMS, active_mailbox_ids

from .conftest import tap_config

if TYPE_CHECKING:
    import pytest

    from emailgistics_sandbox import Sandbox, SandboxControl

_SHAPES = (
    (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{4}…", "ID"),
    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", "TIME"),
    (r"(under )?\d+(\.\d+)? (s|min|h)\b", "DURATION"),
    (r"\d[\d,]*", "N"),
    (r"partitions?\b", "partitions"),
    (r"attempts?\b", "attempts"),
)


def shape(line: str) -> str:
    for pattern, placeholder in _SHAPES:
        line = re.sub(pattern, placeholder, line)
    return line


def sample() -> list[str]:
    lines = readme_block("watching", "text").splitlines()
    return [line for line in lines if line and not line.startswith("…")]


def test_given_the_readme_sample_when_a_sync_runs_then_each_line_is_a_line_it_prints(
    sandbox: Sandbox,
    control: SandboxControl,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tap_emailgistics.sync.progress.HEARTBEAT_SECONDS", 0.0)
    control.update_settings(runSeconds=1.0)  # long enough for "about N s left" to show
    ids = active_mailbox_ids(control)[:3]
    control.set_faults([{"kind": "run_error", "mailbox_id": ids[2]}])
    config = tap_config(sandbox.base_url, mailbox_ids=ids, run_error_retries=0)
    with caplog.at_level(logging.INFO):
        done = sync(config, set(REPORT_STREAMS))
    assert done.error is not None
    printed = {shape(r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO}
    printed.add(shape(error_line(str(done.error))))
    missing = [line for line in sample() if shape(line) not in printed]
    assert not missing, (missing, sorted(printed))
