"""Settings: every bad input is one line, non-zero exit, before any HTTP call."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from tap_emailgistics.errors import SettingsError

from .conftest import CONFIG, account_failure, make_tap

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"mailbox_idz": ["x"]}, "Unknown setting(s): mailbox_idz"),
        ({"page_size": "big"}, "Setting page_size is invalid"),
        ({"page_size": 900}, "Setting page_size is invalid"),
        ({"periods": ["year"]}, "Setting periods.0 is invalid"),
        ({"end_date": "2025-06-01"}, "end_date (2025-06-01) is not after start_date"),
        ({"start_date": "soon"}, "start_date is not an ISO 8601"),
        ({"api_key": 12}, "Setting api_key is invalid (<secret>)"),
        ({"api_key": "short"}, "Setting api_key has 5 characters, too few for an Emailgistics"),
        ({"base_url": "http://c1.emailgistics.com"}, "uses http on a host that is not this"),
        ({"base_url": "http://10.0.0.7:8765"}, "the API key would travel in clear text: use https"),
        (
            {"periods": []},
            (
                "Setting periods is an empty list: name at least one value, or remove the "
                "setting to use its default (['day'])."
            ),
        ),
        ({"mailbox_ids": []}, "Setting mailbox_ids is an empty list: name at least one"),
        ({"message_activity_types": []}, "Setting message_activity_types is an empty list"),
        ({"message_activity_types": ["opened"]}, "not one of ['received', 'replied', 'closed']"),
        ({"users": []}, "Setting users is an empty list"),
    ],
)
def test_given_a_bad_setting_when_the_tap_starts_then_one_clear_line(
    change: dict[str, Any],
    fragment: str,
) -> None:
    with pytest.raises(SettingsError) as caught:
        make_tap(**change)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_given_a_bad_config_file_when_run_from_the_cli_then_exit_1_and_one_line(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({**CONFIG, "periods": ["fortnight"], "base_url": "http://127.0.0.1:9"})
    )
    done = subprocess.run(
        [sys.executable, "-m", "tap_emailgistics", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert errors == [
        (
            "tap-emailgistics: error: Setting periods.0 is invalid ('fortnight'): "
            "the value is not one of ['hour', 'day', 'week', 'month']."
        )
    ]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_given_an_unseen_mailbox_id_when_syncing_then_it_is_named_before_any_report(
    requests_mock: Any,
) -> None:
    tap = make_tap(mailbox_ids=["not-in-allowlist"])
    with pytest.raises(SettingsError, match="names mailbox not-in-allowlist"), account_failure():
        _ = tap.streams["mailbox_performance"].partitions
    assert all("/reports/" not in r.url for r in requests_mock.request_history)


@pytest.mark.parametrize(
    "base_url",
    [
        "https://c1.emailgistics.com",
        "http://127.0.0.1:8765",
        "http://127.8.0.1",
        "http://localhost:8765",
        "http://sandbox.localhost",
        "http://[::1]:8765",
    ],
)
def test_given_https_or_a_loopback_host_when_checked_then_base_url_is_accepted(
    base_url: str,
) -> None:
    assert make_tap(base_url=base_url).services.settings.base_url == base_url


def test_given_numbers_as_text_when_checked_then_read_as_numbers_and_bad_text_named() -> None:
    settings = make_tap(poll_jitter="0.5", page_size="100", run_deadline_minutes="7").services
    assert (settings.settings.poll_jitter, settings.settings.page_size) == (0.5, 100)
    assert settings.settings.run_deadline_minutes == 7
    with pytest.raises(SettingsError, match=r"Setting poll_jitter is invalid \('lots'\)"):
        make_tap(poll_jitter="lots")
    with pytest.raises(SettingsError, match="Setting page_size is invalid"):
        make_tap(page_size="2.5")


def test_given_help_when_asked_then_it_says_what_the_tap_is_and_points_to_about() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tap_emailgistics", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "Singer tap for the Emailgistics Reporting API" in done.stdout
    assert "tap-emailgistics --about" in done.stdout
    assert "Exit codes: 0 success, 1" in done.stdout
