"""Issue "What an operator sees": warnings where they belong, none where they do not.

The tap runs as a process (``python -m tap_emailgistics``) against the sandbox over HTTP;
what matters is the exit code and the lines on stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

from emailgistics_sandbox import LIMITED_KEY

from .conftest import NEW_YORK, STRUCTURED_LOG_CONFIG, run_tap, tap_config

if TYPE_CHECKING:
    from pathlib import Path

    from emailgistics_sandbox import Sandbox, SandboxControl

PREFIX = "tap-emailgistics: error: "


def lines_at(stderr: str, level: str) -> list[str]:
    return [line.split(" | ")[-1] for line in stderr.splitlines() if f"| {level} " in line]


def billing(control: SandboxControl) -> str:
    return str(control.mailboxes()[1]["mailboxId"])  # the limited key's left-out mailbox


def test_given_a_key_without_billing_when_synced_by_default_then_the_others_without_a_word(
    sandbox: Sandbox, control: SandboxControl, tmp_path: Path
) -> None:
    run = run_tap(tmp_path, tap_config(sandbox.base_url, api_key=LIMITED_KEY))
    assert run.returncode == 0, run.stderr
    assert lines_at(run.stderr, "WARNING") == []
    assert billing(control) not in {r["mailboxId"] for r in run.rows("mailbox_performance")}
    assert billing(control) not in {r["mailboxId"] for r in run.rows("mailboxes")}


def test_given_a_key_without_billing_when_mailbox_ids_names_it_then_one_line_before_any_report(
    sandbox: Sandbox, control: SandboxControl, tmp_path: Path
) -> None:
    config = tap_config(sandbox.base_url, api_key=LIMITED_KEY, mailbox_ids=[billing(control)])
    run = run_tap(tmp_path, config)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        f"{PREFIX}Setting mailbox_ids names mailbox {billing(control)}, which this API key "
        "cannot see (not in its allowlist, or it does not exist): add it to the key's "
        "allowlist in Emailgistics Admin, or remove it from mailbox_ids."
    )
    assert not [r for r in control.requests() if r["method"] == "POST"]


def test_given_a_mailbox_with_state_that_the_key_stops_seeing_when_synced_then_one_warning(
    sandbox: Sandbox, control: SandboxControl, tmp_path: Path
) -> None:
    config = tap_config(sandbox.base_url)
    first = run_tap(tmp_path, config)
    assert first.returncode == 0, first.stderr
    control.remove_from_directory(NEW_YORK)
    second = run_tap(tmp_path, config, state=first.states[-1])
    assert second.returncode == 0, second.stderr
    [warning] = lines_at(second.stderr, "WARNING")
    assert warning == (
        f"Mailbox {NEW_YORK} has bookmarks in the state but is no longer listed for this API "
        "key (removed from its allowlist, or deleted): it is not extracted, its data stands "
        "as last verified at 2026-05-01T12:29:00Z, and its provisional rows stay "
        "provisional. Add it back to the key's allowlist, or clear its partitions from the "
        "state to stop this warning."
    )
    assert NEW_YORK not in {r["mailboxId"] for r in second.rows("mailbox_performance")}


def test_given_a_start_date_after_the_apis_now_when_synced_then_one_warning(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    run = run_tap(tmp_path, tap_config(sandbox.base_url, start_date="2027-01-01", end_date=None))
    assert run.returncode == 0, run.stderr
    assert lines_at(run.stderr, "WARNING") == [
        (
            "Setting start_date (2027-01-01T00:00:00) is after the API's now "
            "(2026-05-01T12:29:00Z): there is nothing to extract yet. Check the date."
        )
    ]


def test_given_numbers_as_text_as_meltano_passes_them_when_synced_then_no_warning(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = tap_config(sandbox.base_url, poll_initial_seconds="0.02", max_concurrent_runs="3")
    run = run_tap(tmp_path, config)
    assert run.returncode == 0, run.stderr
    assert lines_at(run.stderr, "WARNING") == []  # no "Config validation failed"


def test_given_two_bad_settings_when_run_then_a_line_each_and_no_sdk_warning(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = tap_config(f"{sandbox.base_url}/api/v1", page_size="many")
    run = run_tap(tmp_path, config)
    assert run.returncode == 1
    assert lines_at(run.stderr, "WARNING") == []
    assert lines_at(run.stderr, "ERROR") == [
        (
            f"Setting base_url ({sandbox.base_url}/api/v1) is not just a scheme and host: give "
            "e.g. https://c1.emailgistics.com, without a path (leave out /api/v1) or query."
        ),
        "Setting page_size is invalid ('many'): the value is not of type 'integer', 'null'.",
    ]
    assert run.stderr.strip().splitlines()[-1] == (
        f"{PREFIX}2 settings need fixing (each on a line above)."
    )


def test_given_the_sdks_log_config_when_the_key_is_refused_then_the_reason_is_an_error_record(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # What Meltano does: SINGER_SDK_LOG_CONFIG with structured records; Meltano logs a
    # record at its level, and a plain line at info.
    log_config = tmp_path / "logging.yml"
    log_config.write_text(STRUCTURED_LOG_CONFIG)
    config = tap_config(sandbox.base_url, api_key="not-a-real-key-1234")
    run = run_tap(tmp_path, config, env={"SINGER_SDK_LOG_CONFIG": str(log_config)})
    assert run.returncode == 1
    records = [json.loads(line) for line in run.stderr.splitlines() if line.strip()]
    last = records[-1]
    assert last["level"] == "error"
    assert last["message"].startswith(f"{PREFIX}The API key was refused (HTTP 401 ")
    # The failure is the account's: no SDK line naming a stream as if it had failed.
    assert not [r for r in records if "An unhandled error occurred" in r["message"]]


def test_given_a_damaged_config_file_under_meltanos_log_config_then_an_error_record(
    tmp_path: Path,
) -> None:
    log_config = tmp_path / "logging.yml"
    log_config.write_text(STRUCTURED_LOG_CONFIG)
    (tmp_path / "config.json").write_text("{not json")
    done = subprocess.run(
        [sys.executable, "-m", "tap_emailgistics", "--config", str(tmp_path / "config.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"SINGER_SDK_LOG_CONFIG": str(log_config), "PATH": ""},
    )
    assert done.returncode == 1
    [record] = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert record["level"] == "error"
    assert record["message"].startswith(f"{PREFIX}Config file {tmp_path}/config.json (--config)")


def test_given_the_directory_streams_when_synced_then_activate_version_after_the_reports(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    done = run_tap(tmp_path, tap_config(sandbox.base_url))
    assert done.returncode == 0, done.stderr
    messages = done.messages
    activated = [m["stream"] for m in messages if m["type"] == "ACTIVATE_VERSION"]
    assert activated == ["mailboxes", "mailbox_users", "mailbox_tags"]  # never reports
    last_report = max(
        i for i, m in enumerate(messages) if m.get("stream", "").endswith("_performance")
    )
    first_version = next(i for i, m in enumerate(messages) if m["type"] == "ACTIVATE_VERSION")
    assert first_version > last_report  # moments before the end of the input
    versions = {m["version"] for m in messages if m["type"] == "ACTIVATE_VERSION"}
    directory = [m for m in messages if m["type"] == "RECORD" and m["stream"] == "mailboxes"]
    assert {m["version"] for m in directory} == versions


def test_given_activate_version_off_when_synced_then_no_such_message(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = tap_config(sandbox.base_url, emit_activate_version_messages=False)
    done = run_tap(tmp_path, config)
    assert done.returncode == 0, done.stderr
    assert not [m for m in done.messages if m["type"] == "ACTIVATE_VERSION"]


def test_given_a_sync_when_its_watermarks_are_written_then_times_come_from_the_apis_clock(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    run = run_tap(tmp_path, tap_config(sandbox.base_url))
    assert run.returncode == 0, run.stderr
    marks = run.rows("finality_watermarks")
    assert marks
    # The sandbox's clock, not this machine's: 2026-05-01T12:29Z.
    assert {m["lastVerifiedRunAtUtc"] for m in marks} == {"2026-05-01T12:29:00Z"}
    assert {m["apiNowUtc"] for m in marks} == {"2026-05-01T12:29:00Z"}
