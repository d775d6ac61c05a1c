"""Fixtures for the sandbox's own tests: an in-process sandbox and an HTTP session."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
import requests

from emailgistics_sandbox import FULL_KEY, Sandbox, SandboxControl, SandboxSettings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

DOCS_MAILBOX = "af412a6c-657f-445b-892c-b6b1fa41ad1b"
#: 100 daily rows of the docs' mailbox.
DAYS = {
    "mailboxId": DOCS_MAILBOX,
    "start": "2026-01-01T00:00:00",
    "end": "2026-04-10T23:59:59",
    "period": "day",
}


DETAIL = "receivedMessageDetail"
#: A day of the docs' mailbox (New York), long final at the default clock.
MESSAGE_DAY = {
    "mailboxId": DOCS_MAILBOX,
    "activityType": "received",
    "activityStart": "2026-03-04T00:00:00",
    "activityEnd": "2026-03-04T23:59:59",
}
#: The default clock's last days, reaching past the visible time (2026-05-01T12:14Z).
RECENT_MESSAGES = {
    **MESSAGE_DAY,
    "activityStart": "2026-04-27T00:00:00",
    "activityEnd": "2026-05-01T23:59:59",
}


def mailbox_in(control: SandboxControl, zone: str) -> str:
    """The id of the sandbox's mailbox in ``zone``."""
    return str(next(m["mailboxId"] for m in control.mailboxes() if m["timeZone"] == zone))


def as_utc(local: str, zone: str) -> str:
    """A wall-clock time of ``zone`` as the UTC ``...Z`` the message detail report takes."""
    instant = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def without_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows without their cursor ``id`` (not a stable key across runs)."""
    return [{k: v for k, v in row.items() if k != "id"} for row in rows]


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll ``condition`` until it holds; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class Api:
    """A thin client for the sandbox's /api/v1 surface, with one key."""

    def __init__(self, base_url: str, key: str | None = FULL_KEY) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if key is not None:
            self.session.headers["Authorization"] = f"Bearer {key}"

    def post(self, report: str, body: dict[str, Any], **params: Any) -> requests.Response:
        url = f"{self.base_url}/api/v1/reports/{report}"
        return self.session.post(url, json=body, params=params, timeout=10)

    def get(self, url: str) -> requests.Response:
        if url.startswith("/"):
            url = self.base_url + url
        return self.session.get(url, timeout=10)

    def run_to_done(self, report: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
        answer = self.post(report, body, **params)
        assert answer.status_code == 200, answer.text
        envelope = answer.json()
        deadline = time.monotonic() + 10
        while envelope["status"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
            envelope = self.get(envelope["_links"]["self"]["href"]).json()
        return dict(envelope)

    def all_rows(self, report: str, body: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
        envelope = self.run_to_done(report, body, **params)
        rows = list(envelope["result"]["data"])
        while "next" in envelope["_links"]:
            envelope = self.get(envelope["_links"]["next"]["href"]).json()
            rows.extend(envelope["result"]["data"])
        return rows


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    settings = SandboxSettings(run_seconds=0.05, requests_per_minute=0, max_running_runs=0)
    with Sandbox(settings) as running:
        yield running


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    return Api(sandbox.base_url)


@pytest.fixture
def control(sandbox: Sandbox) -> SandboxControl:
    return SandboxControl(sandbox.base_url)
