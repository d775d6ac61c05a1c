"""Bounded STATE output: coalesce STATE messages so their bytes grow with the work.

Every Singer STATE message carries the whole state (every partition of every stream).
Written after every window, its bytes would grow with windows x partitions. Instead a
STATE goes out when the other messages written since the last one (records, schemas)
outweigh the state a hundredfold, or when ``state_interval_seconds`` have passed, and
always at the end of the sync, on failure and on shutdown. The state handed over is always
the latest, and it only ever holds bookmarks of verified windows, so writing less
often loses at most that much finished work: the next run reads it again and emits
its rows under the same keys.

WORKAROUND (singer-sdk 0.54): the SDK has no public setting for how often STATE goes
out. Every stream writes through ``Tap.state_writer`` (a public property); the tap
returns a ``CoalescingStateWriter`` there, which forwards to the SDK's own writer
(which still drops a state equal to the last one). Pinned by tests/unit/test_state_output.py.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from singer_sdk.io_base import SingerWriter
from typing_extensions import override

if TYPE_CHECKING:
    from collections.abc import Callable

    from singer_sdk.helpers.types import TapState


def _plain_json_only(value: object) -> str:
    msg = f"not written by the fast path: {type(value).__name__}"
    raise TypeError(msg)


_ENCODE = json.JSONEncoder(separators=(",", ":"), allow_nan=False, default=_plain_json_only).encode


def _record_line(message: Any) -> str:  # noqa: ANN401 - the SDK's RecordMessage
    """The SDK's RECORD line (``to_dict``'s keys, in its order), built around the record."""
    line = (
        f'{{"type":"RECORD","stream":{_ENCODE(message.stream)},"record":{_ENCODE(message.record)}'
    )
    if message.version is not None:
        line += f',"version":{_ENCODE(message.version)}'
    if isinstance(message.time_extracted, datetime):  # written as the SDK writes it
        line += f',"time_extracted":{_ENCODE(message.time_extracted.isoformat(sep="T"))}'
    return line + "}"


#: STATE output stays under 1% of what else is written. With 1x (a STATE whenever the
#: records since the last outweigh it) every window of a large account triggered one,
#: and STATE bytes grew 20.8x for 5x the mailboxes (benchmarks/state_output.py).
RECORDS_PER_STATE = 100


class StateSink(Protocol):
    """What the SDK's state writer offers: write a state (if it changed)."""

    def write_state(self, state: TapState) -> None:
        """Write ``state`` as a STATE message."""


class CountingSingerWriter(SingerWriter):
    """The SDK's message writer, counting characters written since the last STATE.

    It also leaves RECORD lines in stdout's buffer instead of flushing each (a system
    call per row); every other message flushes, so a STATE never goes out before the
    records it covers, and the records after the last STATE are re-read by a rerun.
    """

    @override
    def serialize_message(self, message: Any) -> str:
        # RECORD lines through the standard library's C encoder, byte-identical to the
        # SDK's simplejson (pinned by tests/unit/test_state_output.py), at a fraction
        # of its cost per row; anything it cannot write the same (a Decimal, a NaN)
        # goes the SDK's own way.
        if getattr(message, "type", None) == "RECORD":
            try:
                return _record_line(message)
            except (TypeError, ValueError):
                pass
        return str(super().serialize_message(message))

    @override
    def write_message(self, message: Any) -> None:
        sys.stdout.write(self.format_message(message) + "\n")
        if getattr(message, "type", None) != "RECORD":
            sys.stdout.flush()

    def __init__(self) -> None:
        """Start with nothing written."""
        super().__init__()
        self.since_state = 0
        self.last_state = 0

    @override
    def format_message(self, message: Any) -> str:
        text = super().format_message(message)
        if getattr(message, "type", None) == "STATE":
            self.since_state, self.last_state = 0, len(text) + 1
        else:
            self.since_state += len(text) + 1
        return text


class CoalescingStateWriter:
    """Hands a state to the SDK's writer only when it is due; ``flush`` always does."""

    def __init__(
        self,
        sink: StateSink,
        counter: CountingSingerWriter,
        interval_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        stamp: Callable[[TapState], None] | None = None,
    ) -> None:
        """``interval_seconds``: longest wait between STATE messages (0: never wait).

        ``stamp`` adds what a state carries besides bookmarks, as it goes out.
        """
        self.sink, self.counter, self.clock = sink, counter, clock
        self.stamp = stamp
        self.interval_seconds = interval_seconds
        self._pending: TapState | None = None
        self._last_at = clock()
        self._finished = False  # after the plan's end or a failure: no more coalescing

    def write_state(self, state: TapState) -> None:
        """Note the latest state; write it now if enough has happened since the last."""
        self._pending = state
        outweighed = self.counter.since_state >= self.counter.last_state * RECORDS_PER_STATE
        if self._finished or outweighed or self._waited_long_enough():
            self.flush()

    def _waited_long_enough(self) -> bool:
        return self.clock() - self._last_at >= self.interval_seconds

    def flush(self, state: TapState | None = None, *, finished: bool = False) -> None:
        """Write the latest state now (``state``, or the one last noted), if any.

        ``finished``: nothing is left to batch (the plan's end, a failure): every
        later state goes out at once too.
        """
        self._finished = self._finished or finished
        latest = state if state is not None else self._pending
        if latest is None:
            return
        self._pending = None
        self._last_at = self.clock()
        if self.stamp is not None:
            self.stamp(latest)
        self.sink.write_state(latest)
