"""Runs in flight, recorded in their partition's state so that a rerun can resume them.

A report run takes minutes and its result lives 24 hours. When a run's results link
is known, it is recorded under ``runs_in_flight`` in the partition's state, with its
window, a fingerprint of the request that created it and when it was created (the
API's clock). The record goes when the window is verified. After a crash the next
run reads the recorded link instead of creating the run again, if the window and the
request are still the same and the result is young enough; if it is gone (404), the
run is created again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tap_emailgistics.finality.periods import format_local, format_utc

if TYPE_CHECKING:
    from tap_emailgistics.finality.periods import Window
    from tap_emailgistics.values import RunRequest

RUNS_KEY = "runs_in_flight"
#: Results live 24 h after their run started; a run may have taken up to ~1 h of that.
_USABLE_FOR = timedelta(hours=23)


def fingerprint(request: RunRequest) -> str:
    """A short digest of what the run was asked for (body and query)."""
    text = json.dumps({"body": request.body, "params": request.params}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def recorded_link(
    state: dict[str, Any], window: Window, request: RunRequest, api_now: datetime
) -> str | None:
    """The results link recorded for exactly this window and request, if still usable."""
    record = (state.get(RUNS_KEY) or {}).get(format_local(window.start))
    if not isinstance(record, dict):
        return None
    try:
        created = datetime.fromisoformat(str(record["createdAt"]))
        same = record["end"] == format_local(window.end)
        same = same and record["request"] == fingerprint(request)
        link = record["results"]
    except (KeyError, ValueError):
        return None
    if not same or not isinstance(link, str) or api_now - created > _USABLE_FOR:
        return None
    return link


def record_run(
    state: dict[str, Any], window: Window, request: RunRequest, link: str, api_now: datetime
) -> None:
    """Record a created run's results link under its window."""
    runs = state.setdefault(RUNS_KEY, {})
    runs[format_local(window.start)] = {
        "end": format_local(window.end),
        "results": link,
        "request": fingerprint(request),
        "createdAt": format_utc(api_now.astimezone(UTC)),
    }


def forget_run(state: dict[str, Any], window: Window) -> None:
    """Drop a window's record once it is verified (and the key once empty)."""
    runs = state.get(RUNS_KEY)
    if isinstance(runs, dict):
        runs.pop(format_local(window.start), None)
        if not runs:
            del state[RUNS_KEY]
