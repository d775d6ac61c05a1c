"""Issue "The Meltano user's path": every setting can be set from the environment.

Meltano 4.4 turns a ``decimal``-kind setting from an environment variable into a
``Decimal`` it cannot serialize, so the plugin declares numbers as ``string`` and the
tap reads numeric text as numbers. Checked through the pinned Meltano itself.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from tap_emailgistics.plugin_definition import meltano_settings
from tap_emailgistics.streams.mailboxes import activate_versions
from tap_emailgistics.tap import TapEmailgistics

from .conftest import MELTANO, ROOT

#: One value for every setting, as text, the way an environment variable carries it.
FROM_ENVIRONMENT = {
    "api_key": "env-secret-key-123",
    "base_url": "https://c2.emailgistics.com",
    "mailbox_ids": '["m-1", "m-2"]',
    "start_date": "2026-01-01",
    "end_date": "2026-02-01T00:00:00",
    "periods": '["day", "week"]',
    "message_activity_types": '["received", "closed"]',
    "users": '["u-1"]',
    "domains": '["example.com"]',
    "include_details": "true",
    "page_size": "250",
    "poll_initial_seconds": "0.5",
    "poll_max_seconds": "12.5",
    "poll_jitter": "0.3",
    "max_concurrent_runs": "2",
    "state_interval_seconds": "12.5",
    "run_deadline_minutes": "90",
    "time_budget_minutes": "0.5",
    "rows_per_run": "5000",
    "run_error_retries": "4",
    "requests_per_minute": "45",
    "rate_limit_wait_seconds": "75.5",
    "window_days": '{"day": 30}',
    "emit_activate_version_messages": "false",
    "run_journal": "false",
    "run_journal_dir": "/var/cache/emailgistics-journal",
}


def test_given_every_setting_in_the_environment_when_meltano_passes_it_then_the_tap_reads_it() -> (
    None
):
    assert set(FROM_ENVIRONMENT) == {s["name"] for s in meltano_settings()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_EMAILGISTICS_")}
    env |= {f"TAP_EMAILGISTICS_{name.upper()}": value for name, value in FROM_ENVIRONMENT.items()}
    printed = subprocess.run(
        [MELTANO, "config", "--unsafe", "print", "tap-emailgistics"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    config: dict[str, Any] = json.loads(printed.stdout)
    settings = TapEmailgistics(config=config).services.settings
    assert settings.base_url == "https://c2.emailgistics.com"
    assert settings.mailbox_ids == ("m-1", "m-2")
    assert settings.periods == ("day", "week")
    assert settings.message_activity_types == ("received", "closed")
    assert settings.filters == {"users": ["u-1"], "domains": ["example.com"]}
    assert settings.include_details is True
    assert (settings.page_size, settings.run_error_retries, settings.requests_per_minute) == (
        250,
        4,
        45,
    )
    assert (settings.poll_initial_seconds, settings.poll_max_seconds, settings.poll_jitter) == (
        0.5,
        12.5,
        0.3,
    )
    assert (settings.run_deadline_minutes, settings.rate_limit_wait_seconds) == (90, 75.5)
    assert (settings.max_concurrent_runs, settings.state_interval_seconds) == (2, 12.5)
    assert settings.window_days["day"] == 30
    assert (settings.time_budget_minutes, settings.rows_per_run) == (0.5, 5000)
    assert activate_versions(config) is False
    assert (settings.run_journal, settings.run_journal_dir) == (
        False,
        "/var/cache/emailgistics-journal",
    )
    assert str(settings.end) == "2026-02-01 00:00:00"
