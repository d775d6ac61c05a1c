"""Offline fixtures: a tap pointed at the documented host, all HTTP via requests-mock."""

from __future__ import annotations

import copy
import json
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tap_emailgistics.errors import SyncStoppedError
from tap_emailgistics.tap import TapEmailgistics

if TYPE_CHECKING:
    from collections.abc import Iterator

BASE = "https://c1.emailgistics.com"
MAILBOX = "af412a6c-657f-445b-892c-b6b1fa41ad1b"
SEEDS = json.loads((Path(__file__).parents[1] / "fixtures" / "seed_envelopes.json").read_text())
REPORT_URL = f"{BASE}/api/v1/reports/mailboxPerformance"
RESULT_URL = f"{BASE}/api/v1/reports/results/8f9a1b2c-0000-4000-8000-000000000001"
CONFIG: dict[str, Any] = {
    "api_key": "unit-test-secret-key",
    "start_date": "2026-01-01",
    "end_date": "2026-05-01",
    "periods": ["month"],
    "poll_initial_seconds": 0,
    "poll_max_seconds": 0,
    "poll_jitter": 0,
    # Every verified window's STATE goes out at once: these tests pin the bookmark
    # per window (coalescing has its own tests, in test_state_output.py).
    "state_interval_seconds": 0,
    # One run at a time, in order: these tests pin one run's life (running ahead has
    # its own tests, in test_scheduler.py and against the sandbox).
    "max_concurrent_runs": 1,
}
MAILBOXES = {
    "mailboxes": [
        {
            "mailboxId": MAILBOX,
            "mailboxName": "Support",
            "mailboxEmail": "s@example.com",
            "active": True,
            "timeZone": "America/New_York",
            "users": [],
            "tags": [],
        }
    ]
}


def seed(name: str, **changes: Any) -> dict[str, Any]:
    """A seed envelope with links on our result URL and optional result changes.

    Replacing ``data`` also makes ``total`` agree with it, unless ``total`` is given.
    """
    envelope = copy.deepcopy(SEEDS[name])
    envelope["_links"]["self"]["href"] = f"{RESULT_URL}?max=500"
    envelope["_links"]["origin"]["body"]["parameters"]["mailboxId"] = MAILBOX
    if isinstance(changes.get("data"), list) and "total" not in changes:
        changes["total"] = len(changes["data"])
    envelope.setdefault("result", {}).update(changes)
    return dict(envelope)


def monthly_rows(*months: int) -> list[dict[str, Any]]:
    row = SEEDS["monthly_done"]["result"]["data"][0]
    return [
        {**row, "id": str(10000 + m), "startDateTime": f"2026-{m:02d}-01T00:00:00"} for m in months
    ]


def make_tap(**overrides: Any) -> TapEmailgistics:
    return TapEmailgistics(config={**CONFIG, **overrides}, validate_config=True)


def raise_partition_failure(tap: TapEmailgistics) -> None:
    """As a whole sync ends (exit 3), but with the partition's own error, for its message."""
    failures = tap.services.ledger.failures
    if failures:
        raise next(iter(failures.values()))


@contextmanager
def account_failure() -> Iterator[None]:
    """A failure of the whole account as itself, as ``cli.main`` reads it."""
    try:
        yield
    except SyncStoppedError as stopped:
        raise stopped.error from None


@pytest.fixture
def context() -> dict[str, str]:
    return {"mailboxId": MAILBOX, "period": "month"}


@pytest.fixture(autouse=True)
def mailboxes(requests_mock: Any) -> None:
    requests_mock.get(f"{BASE}/api/v1/admin/mailboxes", json=MAILBOXES)
