"""Bounded STATE output: coalesced by bytes and time, always written at the end.

Also pins the workaround in ``state_output``: every stream's STATE goes through the
tap's ``state_writer`` property, and the SDK's writer under it still drops repeats.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from singer_sdk.io_base import SingerWriter
from singer_sdk.singerlib import RecordMessage

from tap_emailgistics.finality.state_output import (
    RECORDS_PER_STATE,
    CoalescingStateWriter,
    CountingSingerWriter,
)

from .conftest import REPORT_URL, make_tap, monthly_rows, seed

if TYPE_CHECKING:
    import pytest
    import requests_mock as rm


class Sink:
    def __init__(self, counter: CountingSingerWriter) -> None:
        self.counter, self.written = counter, []

    def write_state(self, state: dict[str, Any]) -> None:
        self.written.append(json.loads(json.dumps(state)))
        self.counter.format_message(_State(state))


class _State:
    type = "STATE"

    def __init__(self, value: dict[str, Any]) -> None:
        self.value = value

    def to_dict(self) -> dict[str, Any]:
        return {"type": "STATE", "value": self.value}


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def writer(interval: float) -> tuple[CoalescingStateWriter, Sink, CountingSingerWriter, Clock]:
    counter, clock = CountingSingerWriter(), Clock()
    sink = Sink(counter)
    return CoalescingStateWriter(sink, counter, interval, clock), sink, counter, clock


def record(counter: CountingSingerWriter, size: int) -> None:
    counter.format_message(RecordMessage(stream="s", record={"x": "y" * size}))


def test_given_records_and_states_when_offered_then_state_bytes_stay_under_1_percent() -> None:
    coalescing, sink, counter, _ = writer(interval=60)
    state = {"bookmarks": {"s": {"partitions": [{"k": "v" * 200}]}}}
    state_bytes = len(json.dumps({"type": "STATE", "value": state}))
    coalescing.write_state(state)  # the first goes out: nothing written yet to weigh
    record_bytes = 0
    for _ in range(200):  # a window of ~1 kB of rows, then its state
        before = counter.since_state
        record(counter, 1000)
        record_bytes += counter.since_state - before
        coalescing.write_state(state)
    assert 1 < len(sink.written) < 200  # coalesced, yet not starved
    assert (len(sink.written) - 1) * state_bytes * RECORDS_PER_STATE <= record_bytes


def test_given_the_interval_passed_when_a_state_is_offered_then_it_goes_out() -> None:
    coalescing, sink, _, clock = writer(interval=60)
    coalescing.write_state({"a": 1})
    coalescing.write_state({"a": 2})
    clock.now = 61
    coalescing.write_state({"a": 3})
    assert sink.written == [{"a": 1}, {"a": 3}]


def test_given_a_pending_state_when_finished_then_it_and_every_later_one_go_out() -> None:
    coalescing, sink, _, _ = writer(interval=60)
    coalescing.write_state({"a": 1})
    coalescing.write_state({"a": 2})
    coalescing.flush(finished=True)
    coalescing.write_state({"a": 3})
    assert sink.written == [{"a": 1}, {"a": 2}, {"a": 3}]


def test_given_interval_0_when_states_are_offered_then_each_goes_out() -> None:
    coalescing, sink, _, _ = writer(interval=0)
    for n in range(3):
        coalescing.write_state({"a": n})
    assert len(sink.written) == 3


def sync_states(
    requests_mock: rm.Mocker, capsys: pytest.CaptureFixture[str], interval: float
) -> list[dict[str, Any]]:
    requests_mock.post(
        REPORT_URL,
        [
            {"json": seed("monthly_done", data=monthly_rows(month), dataCutoffTimestamp=None)}
            for month in (1, 2, 3, 4)
        ],
    )
    tap = make_tap(  # each sync creates its own runs: no journal shared between the two
        window_days={"month": 31}, state_interval_seconds=interval, run_journal=False
    )
    assert isinstance(tap.state_writer, CoalescingStateWriter)  # the pinned workaround
    tap.streams["mailbox_performance"].sync()
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    return [m["value"] for m in out if m["type"] == "STATE"]


def test_given_a_sync_of_many_windows_when_coalescing_then_fewer_states_and_the_last_is_final(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    every = sync_states(requests_mock, capsys, interval=0)
    coalesced = sync_states(requests_mock, capsys, interval=3600)
    assert len(coalesced) < len(every)
    for states in (every, coalesced):
        partitions = states[-1]["bookmarks"]["mailbox_performance"]["partitions"]
        assert partitions[0]["provisional_from"] == "2026-05-01T00:00:00"  # the plan's end
        assert "runs_in_flight" not in partitions[0]


def test_given_records_when_written_fast_then_each_line_is_the_sdks_own_serialisation() -> None:
    sdk = SingerWriter()
    ours = CountingSingerWriter()
    records = [
        {"a": 1, "b": 2.5, "c": 'é ü \u2028 "q" \\', "d": None, "e": True, "f": {"x": [1, {}]}},
        {"n": 1e-7, "big": 12345678901234567890, "neg": -0.0, "u": "\u00e9\ud83d\ude00"},
    ]
    for record in records:
        message = RecordMessage(stream="s", record=record, time_extracted=datetime.now(UTC))
        assert ours.format_message(message) == sdk.format_message(message)
    odd = RecordMessage(stream="s", record={"d": Decimal("1.10"), "nan": float("nan")})
    assert ours.format_message(odd) == sdk.format_message(odd)  # the SDK's way: no fast path
