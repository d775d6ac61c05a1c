"""Run the tap in this process (fast enough for property tests), capturing its messages."""

from __future__ import annotations

import copy
import io
import json
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

from tap_emailgistics.errors import EmailgisticsError, SyncStoppedError
from tap_emailgistics.tap import TapEmailgistics


@dataclass
class Sync:
    """What one in-process sync wrote, and the error it ended with (if any)."""

    messages: list[dict[str, Any]]
    error: EmailgisticsError | None = None
    states: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.states = [m["value"] for m in self.messages if m["type"] == "STATE"]

    def rows(self, stream: str) -> list[dict[str, Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    @property
    def state(self) -> dict[str, Any] | None:
        return self.states[-1] if self.states else None

    def bookmarks(self, stream: str) -> dict[tuple[str, str], str | None]:
        """(mailboxId, period) -> provisional_from in the last STATE, where there is one.

        A partition may also be in state only to record its runs in flight.
        """
        partitions = ((self.state or {}).get("bookmarks", {}).get(stream) or {}).get(
            "partitions", []
        )
        return {
            (p["context"]["mailboxId"], p["context"]["period"]): p.get("provisional_from")
            for p in partitions
            if "provisional_from" in p
        }


def catalog_for(config: dict[str, Any], streams: set[str]) -> dict[str, Any]:
    """The tap's catalog with exactly ``streams`` selected."""
    catalog = copy.deepcopy(TapEmailgistics(config=config).catalog_dict)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if not metadata["breadcrumb"]:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def sync(
    config: dict[str, Any],
    streams: set[str],
    state: dict[str, Any] | None = None,
) -> Sync:
    """Sync ``streams`` once, as ``tap-emailgistics --config --catalog --state`` would."""
    out = io.StringIO()
    error: EmailgisticsError | None = None
    try:
        tap = TapEmailgistics(
            config=config, catalog=catalog_for(config, streams), state=copy.deepcopy(state)
        )
        with redirect_stdout(out):
            tap.sync_all()
    except EmailgisticsError as raised:
        error = raised
    except SyncStoppedError as stopped:  # a failure of the whole account (see errors)
        error = stopped.error
    messages = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return Sync(messages, error)
