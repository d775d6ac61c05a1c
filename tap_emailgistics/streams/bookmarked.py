"""The finality bookmark in Singer state, and the SDK hooks it needs (all in one place).

A report partition's state holds its context and ``provisional_from``: the start of
the first period that was not yet final when it was last verified. A run resumes
there. ``verified_at`` (the API's clock then) orders partitions that wait equally
long; ``runs_in_flight`` (``engine.in_flight``) holds runs a later sync may read. The
SDK's own incremental bookkeeping (``replication_key_value``, progress markers,
signposts, a "starting value" taken from start_date) describes something else, the
last row's timestamp, so it is kept out of the state: a reader of the state, or of
the logs, sees only where a partition really resumes.

WORKAROUND (singer-sdk 0.54): the SDK has no public hooks for these, so this module
overrides, in one class, the narrowest private methods that do them. Pinned by
tests/unit/test_report_stream.py: if an SDK upgrade changes them, those tests fail.

The same class also skips the SDK's per-record walk against the selection mask when
the catalog deselects no column (``_generate_record_messages``): a copy of the record
and a lookup per column, about a fifth of the tap's CPU per row for nothing. Pinned by
tests/unit/test_report_stream.py (deselected columns still go; otherwise identical).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib import RecordMessage
from typing_extensions import override

from tap_emailgistics.errors import StateError
from tap_emailgistics.streams.base import EmailgisticsStream

if TYPE_CHECKING:
    from collections.abc import Generator

    from singer_sdk.helpers.types import Context, Record

    from tap_emailgistics.finality.kinds import PartitionKind

BOOKMARK = "provisional_from"
#: When the partition's last window was verified (the API's clock, UTC).
VERIFIED_AT = "verified_at"
#: The SDK's own keys; older versions of this tap left them in state.
SDK_STATE_KEYS = (
    "replication_key",
    "replication_key_value",
    "replication_key_signpost",
    "starting_replication_value",
    "progress_markers",
)


def verified_at(state: dict[str, Any]) -> datetime | None:
    """When the partition's last window was verified, by its state (None: never, or unreadable)."""
    saved = state.get(VERIFIED_AT)
    try:
        return datetime.fromisoformat(str(saved)) if saved is not None else None
    except ValueError:
        return None


class BookmarkedStream(EmailgisticsStream):
    """A stream whose partitions resume from ``provisional_from`` and nothing else.

    ``kind`` says what the bookmark is: a period start (wall clock) or an instant.
    """

    kind: PartitionKind

    def saved_bookmark(self, context: Context) -> datetime | None:
        """The partition's ``provisional_from``, or None when it has none yet."""
        saved = self.get_context_state(context).get(BOOKMARK)
        if saved is None:
            return None
        if isinstance(saved, str):
            try:
                return self.kind.parse_bookmark(saved)
            except ValueError:
                pass
        key = self.kind.key
        msg = (
            f"The state of {self.name} for mailbox {context['mailboxId']}, {key} "
            f"{context[key]} has {BOOKMARK} {saved!r}, which is not "
            f"{self.kind.bookmark_shape}: the state file was edited or damaged. Clear this "
            "stream's state (docs/incremental-and-finality.md, Clearing one stream's state) "
            "to re-extract from start_date, or correct the value."
        )
        raise StateError(msg)

    def save_bookmark(self, context: Context, bookmark: datetime) -> None:
        """Move the partition's bookmark (it goes out with the next STATE)."""
        self.get_context_state(context)[BOOKMARK] = self.kind.format_bookmark(bookmark)

    def write_state_soon(self) -> None:
        """Offer the state to the tap's coalescing writer, which decides when it goes out."""
        # The SDK writes STATE only every STATE_MSG_FREQUENCY records and when a
        # stream ends; mark the state dirty and call the SDK's own writer, which
        # goes through Tap.state_writer (state_output.CoalescingStateWriter).
        self.state_manager.is_flushed = False
        self._write_state_message()

    @override
    def _write_starting_replication_value(self, context: Context | None) -> None:
        # Instead of the SDK's "Starting incremental sync ... bookmark value: <last row>",
        # say where the partition really resumes, and drop the SDK's keys from state.
        if context is None:  # pragma: no cover - report streams are always partitioned
            return
        state = self.get_context_state(context)
        for key in SDK_STATE_KEYS:
            state.pop(key, None)
        saved = state.get(BOOKMARK)
        self.logger.debug(
            "%s, mailbox %s, %s %s: resuming from %s",
            self.name,
            context["mailboxId"],
            self.kind.key,
            context[self.kind.key],
            f"{BOOKMARK} {saved}" if saved is not None else "start_date (no state yet)",
        )

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        # The bookmark moves per verified window (save_bookmark), never per row.
        del latest_record, context

    @override
    def _generate_record_messages(self, record: Record) -> Generator[RecordMessage, None, None]:
        if self._deselects_columns:  # the SDK's own way: pop what is deselected
            yield from super()._generate_record_messages(record)
            return
        # As the SDK's, minus the walk (and minus conformance: TYPE_CONFORMANCE_LEVEL
        # is NONE for report streams, which this class is for).
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=datetime.now(UTC),
                )

    @cached_property
    def _deselects_columns(self) -> bool:
        """Whether the catalog deselects any column (or the SDK must conform values)."""
        conforms = self.TYPE_CONFORMANCE_LEVEL is not TypeConformanceLevel.NONE
        return conforms or not all(self.mask.values())

    @override
    def get_replication_key_signpost(self, context: Context | None = None) -> Any:
        # A signpost caps the SDK's own bookmark, which this stream does not keep.
        del context
        return None
