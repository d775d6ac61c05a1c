"""Issue "Fail loud, clean and safe": what a user or an operator sees when things go wrong.

Each test runs the installed command (``python -m tap_emailgistics``) as a process
against the sandbox over HTTP, and checks the exit code and the one line on stderr.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl

from .conftest import NEW_YORK, one_mailbox_config, run_tap, unlimited

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REPORTS = "/api/v1/reports/"
PREFIX = "tap-emailgistics: error: "


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(unlimited(run_seconds=0)) as running:
        yield running


def config(base_url: str, **overrides: Any) -> dict[str, Any]:
    return one_mailbox_config(base_url, poll_initial_seconds=0.02, **overrides)


def error_line(stderr: str) -> str:
    """The tap's one error line: the last line of stderr, and the only one of its kind."""
    lines = stderr.strip().splitlines()
    assert [line for line in lines if line.startswith(PREFIX)] == lines[-1:], stderr
    assert "Traceback" not in stderr
    return lines[-1].removeprefix(PREFIX)


def failed_partitions(stderr: str) -> list[str]:
    """The ERROR line of each failed partition, before the error line (exit 3)."""
    marker = "| Failed: "
    return [line.split(marker, 1)[1] for line in stderr.splitlines() if marker in line]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("base_url", "reason"),
    [
        (f"http://127.0.0.1:{closed_port()}", "connection refused"),
        ("https://emailgistics-typo.invalid", "the host name does not resolve"),
    ],
    ids=["sandbox not started", "typo in the host"],
)
def test_given_no_api_at_base_url_when_run_then_exit_1_at_once_naming_the_host(
    tmp_path: Path, base_url: str, reason: str
) -> None:
    run = run_tap(tmp_path, config(base_url))
    assert run.returncode == 1
    assert error_line(run.stderr).startswith(f"Cannot reach the API at {base_url} ({reason}): ")
    assert "Retrying" not in run.stderr  # a configuration error is not waited out


def test_given_an_error_message_that_echoes_the_key_when_run_then_the_key_is_never_shown(
    tmp_path: Path, sandbox: Sandbox, control: SandboxControl
) -> None:
    # A 503 echo is retried (a WARNING line), then a 400 echo ends the run (the error).
    control.set_faults(
        [
            {"kind": "echo_credentials", "status": 503, "path": "/admin/", "times": 1},
            {"kind": "echo_credentials", "status": 400, "path": REPORTS, "method": "POST"},
        ]
    )
    run = run_tap(tmp_path, config(sandbox.base_url), env={"TAP_EMAILGISTICS_LOG_LEVEL": "DEBUG"})
    assert run.returncode == 1
    assert "Authorization: Bearer <redacted>" in error_line(run.stderr)
    assert "Retrying in" in run.stderr
    assert run.stderr.count("<redacted>") >= 2
    assert FULL_KEY not in run.stderr


def test_given_the_key_from_the_environment_and_in_state_when_run_then_never_printed(
    tmp_path: Path, sandbox: Sandbox, control: SandboxControl
) -> None:
    control.set_faults([{"kind": "echo_credentials", "status": 400, "path": REPORTS}])
    settings = {"api_key": FULL_KEY, "base_url": sandbox.base_url}
    settings |= {"start_date": "2026-04-20", "end_date": "2026-04-23"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_EMAILGISTICS_")}
    env |= {f"TAP_EMAILGISTICS_{name.upper()}": value for name, value in settings.items()}
    stray = {"context": {"mailboxId": FULL_KEY, "period": "day"}, "provisional_from": None}
    state = {"bookmarks": {"mailbox_performance": {"partitions": [stray]}}}
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps(state))
    done = subprocess.run(
        [sys.executable, "-m", "tap_emailgistics", "--config", "ENV", "--state", str(state_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 1
    assert "Bearer <redacted>" in error_line(done.stderr)
    assert '"mailboxId":"<redacted>"' in done.stdout  # the STATE message, on stdout
    assert FULL_KEY not in done.stdout + done.stderr


@pytest.mark.parametrize("mode", ["--about", "--discover"])
def test_given_about_or_discover_when_run_then_the_key_is_not_in_the_output(
    tmp_path: Path, sandbox: Sandbox, mode: str
) -> None:
    (tmp_path / "config.json").write_text(json.dumps(config(sandbox.base_url)))
    done = subprocess.run(
        [sys.executable, "-m", "tap_emailgistics", mode, "--config", str(tmp_path / "config.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout
    assert FULL_KEY not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("contents", "option", "line"),
    [
        (None, "--config", "Config file {path} (--config) does not exist: check the path."),
        (
            "{bad",
            "--config",
            (
                "Config file {path} (--config) is not valid JSON (line 1, column 2: "
                "Expecting property name enclosed in double quotes): fix or regenerate it"
            ),
        ),
        ("[1]", "--config", "Config file {path} (--config) holds a JSON list, not an object"),
        (
            '{"bookmarks": ',
            "--state",
            (
                "State file {path} (--state) is not valid JSON (line 1, column 15: "
                "Expecting value): it may have been cut off by a crash or a full disk"
            ),
        ),
        (
            '{"bookmarks": {"mailbox_performance": {"partitions": {}}}}',
            "--state",
            (
                "State file {path} (--state): bookmarks.mailbox_performance is not an "
                "object whose partitions are objects with a context"
            ),
        ),
    ],
    ids=["config missing", "config not JSON", "config an array", "state cut off", "state shape"],
)
def test_given_a_damaged_input_file_when_run_then_one_line_naming_the_file(
    tmp_path: Path, contents: str | None, option: str, line: str
) -> None:
    damaged = tmp_path / "damaged.json"
    if contents is not None:
        damaged.write_text(contents)
    (tmp_path / "config.json").write_text(json.dumps(config("http://127.0.0.1:9")))
    files = {"--config": str(tmp_path / "config.json"), option: str(damaged)}
    done = subprocess.run(
        [sys.executable, "-m", "tap_emailgistics", *(a for p in files.items() for a in p)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert error_line(done.stderr).startswith(line.format(path=damaged))


def test_given_a_bookmark_of_the_wrong_type_when_run_then_it_is_reported_as_state(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    partition = {"context": {"mailboxId": NEW_YORK, "period": "day"}, "provisional_from": 5}
    state = {"bookmarks": {"mailbox_performance": {"partitions": [partition]}}}
    run = run_tap(tmp_path, config(sandbox.base_url), state=state)
    assert run.returncode == 1
    assert error_line(run.stderr).startswith(
        f"The state of mailbox_performance for mailbox {NEW_YORK}, period day has "
        "provisional_from 5, which is not a mailbox-local date-time such as "
        "2026-11-01T00:00:00: the state file was edited or damaged."
    )
    assert "Setting" not in error_line(run.stderr)


@pytest.mark.parametrize(
    ("shape", "problem"),
    [
        ("no_start", "a row's startDateTime cannot be read ('startDateTime')"),
        ("bad_cutoff", "result.dataCutoffTimestamp '05/01/2026 12:14 PM' is not an ISO 8601"),
        ("array", "the answer is a JSON list, not the documented envelope object"),
        ("html", "POST /api/v1/reports/mailboxDomainPerformance was answered with a body "),
    ],
)
def test_given_a_malformed_answer_when_run_then_one_line_naming_report_mailbox_and_window(
    tmp_path: Path, sandbox: Sandbox, control: SandboxControl, shape: str, problem: str
) -> None:
    control.update_settings(instantRows=1000)  # the POST answers done, with its rows
    control.set_faults([{"kind": "malformed_answer", "shape": shape, "path": REPORTS}])
    run = run_tap(tmp_path, config(sandbox.base_url))
    assert run.returncode == 3  # every partition fails alone: the sync itself goes on
    assert error_line(run.stderr).startswith("3 of 3 partitions failed (listed above); ")
    # The first report stream synced is the domain report (by name, with equal state).
    line = failed_partitions(run.stderr)[0]
    where = f"mailbox {NEW_YORK}, period day"
    assert line.startswith(
        f"domain_performance, {where}: Unexpected answer from the API: {problem}"
    )
    assert f"(domain_performance: report mailboxDomainPerformance, {where}, window " in line
    assert line.endswith("The bookmark did not move; this partition stops rather than guess.")
    posts = [
        json.dumps([r["path"], r["query"], r["body"]])
        for r in control.requests()
        if r["method"] == "POST"
    ]
    # A wrong shape is not "incomplete JSON": never repeated (other POSTs are runs
    # started ahead, for other mailboxes).
    assert len(posts) == len(set(posts)) >= 1


def test_given_a_run_that_keeps_failing_when_its_budget_is_spent_then_exit_3_naming_it(
    tmp_path: Path, sandbox: Sandbox, control: SandboxControl
) -> None:
    control.set_faults([{"kind": "run_error"}])
    run = run_tap(tmp_path, config(sandbox.base_url, run_error_retries=0))
    assert run.returncode == 3
    assert "partitions failed (listed above)" in error_line(run.stderr)
    failed = failed_partitions(run.stderr)
    assert len(failed) == 3
    assert all("The bookmark did not move: rerun later" in line for line in failed)


def test_given_a_partition_with_state_when_resumed_then_logs_and_state_say_provisional_from(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    first = run_tap(tmp_path, config(sandbox.base_url))
    assert first.returncode == 0
    debug = {"TAP_EMAILGISTICS_LOGLEVEL": "DEBUG"}  # a line per partition is DEBUG
    second = run_tap(tmp_path, config(sandbox.base_url), state=first.states[-1], env=debug)
    assert second.returncode == 0
    bookmark = first.states[-1]["bookmarks"]["mailbox_performance"]["partitions"][0]
    assert (
        f"mailbox_performance, mailbox {NEW_YORK}, period day: resuming from "
        f"provisional_from {bookmark['provisional_from']}"
    ) in second.stderr
    assert f"next sync resumes from provisional_from {bookmark['provisional_from']}" in (
        first.stderr
    )
    assert "Starting incremental sync" not in first.stderr + second.stderr
    assert "replication_key_value" not in json.dumps(first.states + second.states)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_given_a_signal_mid_run_when_stopped_then_state_is_written_and_the_exit_is_not_0(
    tmp_path: Path, control: SandboxControl, sandbox: Sandbox, signum: int, code: int
) -> None:
    control.update_settings(runSeconds=0.5)
    long_range = config(sandbox.base_url, start_date="2026-01-01", window_days={"day": 5})
    (tmp_path / "config.json").write_text(json.dumps(long_range))
    process = subprocess.Popen(
        [sys.executable, "-m", "tap_emailgistics", "--config", str(tmp_path / "config.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines = [process.stdout.readline()]
    while "provisional_from" not in lines[-1]:  # the first window is complete
        lines.append(process.stdout.readline())
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == code
    name = signal.Signals(signum).name
    assert error_line(err) == (
        f"Interrupted by {name}: the state of every completed window was written; rerun "
        "to continue from it."
    )
    states = [json.loads(x)["value"] for x in lines + out.splitlines() if '"STATE"' in x]
    bookmarks = [
        partition["provisional_from"]
        for stream in states[-1]["bookmarks"].values()
        for partition in stream.get("partitions", [])
        if "provisional_from" in partition
    ]
    assert max(bookmarks) >= "2026-01-06T00:00:00"  # at least the first window's
