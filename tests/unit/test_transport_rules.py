"""The transport's rules that are not one HTTP status: first contact, redaction, inputs."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import pytest
import requests

from tap_emailgistics.errors import ApiUnreachableError, InputFileError
from tap_emailgistics.settings.inputs import check_command_line, named_files
from tap_emailgistics.transport.redaction import MASK, RedactingStream, Redactor
from tests.warp import warp_time

from .conftest import BASE, MAILBOXES, REPORT_URL, make_tap, monthly_rows, seed

if TYPE_CHECKING:
    from pathlib import Path

    import requests_mock as rm

DIRECTORY = f"{BASE}/api/v1/admin/mailboxes"
SECRET = 'sk-"live"/abc+123'  # noqa: S105 - JSON and URLs spell it differently


def test_given_the_first_request_cannot_connect_when_sent_then_unreachable_at_once(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(DIRECTORY, exc=requests.exceptions.ConnectionError("Connection refused"))
    with pytest.raises(ApiUnreachableError, match=r"^Cannot reach the API at https://c1\."):
        make_tap().services.directory.mailboxes()
    assert requests_mock.call_count == 1  # not retried: a wrong base_url does not heal


def test_given_the_host_answered_when_a_later_request_cannot_connect_then_it_is_retried(
    requests_mock: rm.Mocker,
    monkeypatch: pytest.MonkeyPatch,
    context: dict[str, str],
) -> None:
    warp_time(monkeypatch)
    requests_mock.get(DIRECTORY, json=MAILBOXES)
    reset = {"exc": requests.exceptions.ConnectionError("Connection reset by peer")}
    done = {"json": seed("monthly_done", data=monthly_rows(1))}
    requests_mock.post(REPORT_URL, json=seed("monthly_running"))
    requests_mock.get(seed("monthly_running")["_links"]["self"]["href"], [reset, done])
    rows = list(make_tap().streams["mailbox_performance"].get_records(context))
    assert len(rows) == 1


def test_given_a_secret_when_written_in_any_spelling_then_each_is_redacted() -> None:
    redactor = Redactor()
    redactor.add(SECRET)
    redactor.add("short")  # refused as a key by the settings; never replaced in data
    out = io.StringIO()
    stream = RedactingStream(out, redactor)
    stream.write(f"Bearer {SECRET}\n")
    stream.write(json.dumps({"message": SECRET}) + "\n")
    stream.writelines([f"?key={requests.utils.quote(SECRET, safe='')}\n", "a short word\n"])
    stream.buffer.write(f"bytes {SECRET}\n".encode())
    assert out.getvalue() == (
        f'Bearer {MASK}\n{{"message": "{MASK}"}}\n?key={MASK}\na short word\nbytes {MASK}\n'
    )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--config", "a.json", "--state=s.json"], [("--config", "a.json"), ("--state", "s.json")]),
        (["--config", "ENV", "--catalog", "c.json"], [("--catalog", "c.json")]),
        (["--about", "--format=markdown"], []),
    ],
)
def test_given_a_command_line_when_parsed_then_every_named_file_is_found(
    argv: list[str], expected: list[tuple[str, str]]
) -> None:
    assert named_files(argv) == expected


def test_given_a_config_file_when_checked_then_its_secret_reaches_the_redactor_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAP_EMAILGISTICS_API_KEY", "from-the-environment")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_key": SECRET}))
    kept: list[Any] = []
    check_command_line(["--config", str(config)], kept.append)
    assert SECRET in kept
    assert "from-the-environment" in kept
    with pytest.raises(InputFileError, match="does not exist"):
        check_command_line(["--state", str(tmp_path / "missing.json")], kept.append)
