"""``finality_watermarks``: where each report partition's data is final (see ``watermarks``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream
from typing_extensions import override

from tap_emailgistics.catalog.schemas import STREAM_SCHEMA
from tap_emailgistics.finality.watermarks import WATERMARKS_STREAM

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_emailgistics.finality.watermarks import WatermarkLog


class FinalityWatermarksStream(Stream):
    """One row per report partition verified in this sync, after every report stream.

    Full table, keyed on (stream, mailboxId, period): a loader that upserts keeps one
    current row per partition. The tap discovers it last, so the SDK syncs it after
    every report stream, and so after the STATE that holds the same bookmarks.
    """

    name = WATERMARKS_STREAM
    primary_keys: ClassVar[list[str]] = ["stream", "mailboxId", "period"]
    schema = STREAM_SCHEMA
    selected_by_default = True

    def __init__(
        self, tap: Tap, log: Callable[[], WatermarkLog], end_sync: Callable[[], None]
    ) -> None:
        """``log``: the partitions the report streams verified in this sync.

        ``end_sync``: what ends a sync (its summary, and exit 3 if partitions failed).
        """
        super().__init__(tap)
        self._log, self._end_sync = log, end_sync

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        # Never: a sync verifies only some partitions, and the others' rows must stay.
        return False

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        del context
        yield from self._log().rows()

    @override
    def log_sync_costs(self) -> None:
        # WORKAROUND (singer-sdk 0.54): ``Tap.sync_all`` is final and has no hook after
        # its last stream. It calls this documented end-of-life hook of every stream,
        # this one last (``TapEmailgistics.streams``), selected or not: the one point
        # where the whole sync is over. Pinned by tests/unit/test_sync_end.py.
        super().log_sync_costs()
        self._end_sync()
