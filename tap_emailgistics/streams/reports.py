"""Report streams: one per field-group combination of each registry report.

The stream reads what it planned (``report_plan``): for each partition, each window's
run, whose rows are emitted as pages arrive; only once the run is verified does the
bookmark move, to the first period that is not final yet. A partition that fails
(``PartitionError``) or is deferred by the time budget stops there: its bookmark stays
at its last verified window, the ``SyncLedger`` notes it, and the next partition goes on.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_emailgistics.catalog.extras import ExtraFieldKeeper
from tap_emailgistics.catalog.rows import MessageCompleter, RowCompleter
from tap_emailgistics.catalog.schemas import STREAM_SCHEMA
from tap_emailgistics.engine.in_flight import forget_run
from tap_emailgistics.errors import (
    PartitionDeferredError,
    PartitionError,
    ScopeRefusedError,
    stopping_the_sync,
)
from tap_emailgistics.finality.periods import format_utc
from tap_emailgistics.finality.watermarks import VerifiedPartition
from tap_emailgistics.streams.bookmarked import VERIFIED_AT
from tap_emailgistics.streams.report_plan import KINDS, PlannedReportStream

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_emailgistics.catalog.registry import StreamDefinition
    from tap_emailgistics.engine.tickets import Ticket
    from tap_emailgistics.finality.periods import Window
    from tap_emailgistics.sync.services import TapServices
    from tap_emailgistics.values import VerifiedRun


class ReportStream(PlannedReportStream):
    """Rows of one report, for one field-group combination."""

    # INCREMENTAL in the catalog (a full-table stream would get ACTIVATE_VERSION, and
    # targets would delete earlier rows); the bookmark itself is ``provisional_from``.
    replication_key = "startDateTimeUtc"
    is_sorted = True
    schema = STREAM_SCHEMA
    # The SDK's per-value type conformance was ~40% of the tap's CPU per row, and
    # changes nothing here: every value comes from the API's JSON or is built by the
    # tap as a JSON value, and every key is declared (ExtraFieldKeeper). Pinned by
    # tests/integration/test_capabilities.py (conformance is a no-op on every stream).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(
        self,
        tap: Tap,
        definition: StreamDefinition,
        services: Callable[[], TapServices],
        plan: Callable[[ReportStream], object],
    ) -> None:
        """Build the stream named and shaped by ``definition``.

        ``plan`` puts this stream's runs (and, in a whole sync, every selected report
        stream's) into the scheduler before the first is read.
        """
        self.definition = definition
        self.kind = KINDS[definition.report.kind]  # how partitions, windows, bookmarks work
        self._plan = plan
        self.selected_by_default = definition.selected_by_default
        path = f"/api/v1/reports/{definition.report.path}"
        super().__init__(tap, services, name=definition.name, path=path)
        self.primary_keys = list(definition.primary_keys)
        #: Messages sent in this sync, and as of when (activity reports).
        self._sent: dict[str, datetime] = {}
        self._keeper = ExtraFieldKeeper(self.name, set(self.schema["properties"]), self.logger)

    @property
    @override
    def partitions(self) -> list[dict[str, Any]]:
        with stopping_the_sync():  # the SDK asks before get_records: it needs the directory
            return self._partitions

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if context is None:  # the SDK always passes a partition; be explicit anyway
            return
        completed = False
        try:
            with stopping_the_sync():
                self._plan(self)
                if context == self.partitions[0]:
                    self.stats.start()
                yield from self._partition_records(context)
            completed = True
        finally:
            # STATE is coalesced, but one goes out at the end of every stream, and after
            # the plan's last window or an account-wide failure every later one goes out
            # at once (the state holds verified windows only).
            finished = not completed or self.services.scheduler.drained
            if finished or context == self.partitions[-1]:
                self.services.flush_state(finished)

    def _partition_records(self, context: Context) -> Generator[dict[str, Any], None, None]:
        directory, ledger = self.services.directory, self.services.ledger
        zone = directory.zone(context["mailboxId"])
        users = self.services.settings.filters.get("users")
        if users and self.definition.report.filter_setting == "users":
            directory.warn_unknown_users(context["mailboxId"], users)
        partition = self.partition_of(context)
        last: tuple[Window, VerifiedRun] | None = None
        try:
            for ticket in self._tickets(partition):
                last = yield from self._window(context, ticket, zone, pinned=last is not None)
        except PartitionDeferredError as deferred:
            self.services.scheduler.abandon(partition)
            ledger.deferred(partition, parked=deferred.parked)
        except PartitionError as failure:
            self.services.scheduler.abandon(partition)
            ledger.failed(partition, failure)
        else:
            ledger.verified(partition)
        self._partition_done(context, zone, last)

    def _tickets(self, partition: tuple[str, str, str]) -> Generator[Ticket, None, None]:
        """The partition's tickets in order; a late run's split adds one as it goes."""
        tickets, index = self.services.scheduler.tickets(partition), 0
        while index < len(tickets):
            yield tickets[index]
            index += 1

    def _window(
        self, context: Context, ticket: Ticket, zone: ZoneInfo, *, pinned: bool
    ) -> Generator[dict[str, Any], None, tuple[Window, VerifiedRun] | None]:
        """Emit one window's rows; once verified, move the bookmark (unless ``pinned``)."""
        try:
            verified = yield from self._window_rows(context, ticket, zone)
        except PartitionError as failure:
            if not failure.keeps_run:
                self._drop_run(ticket)
            self.stats.attempts += ticket.run.attempt.number + 1  # failed ones count too
            raise
        self.services.scheduler.finish(ticket.run)
        window, state = ticket.window, self.get_context_state(context)
        bookmark = self.kind.bookmark_after(window, context[self.kind.key], zone, verified)
        forget_run(state, window)
        if self.services.journal is not None:  # kept: the state saying so may be lost
            self.services.journal.verified(
                self.journal_subject(ticket), ticket.run.create, verified.api_now
            )
        state[VERIFIED_AT] = format_utc(verified.api_now)
        if not pinned or self.saved_bookmark(context) == window.start:
            # Later windows must not move the bookmark past a provisional period.
            self.save_bookmark(context, bookmark)
        self.write_state_soon()
        self._window_verified(context, window, verified)
        return window, verified

    def _window_verified(self, context: Context, window: Window, verified: VerifiedRun) -> None:
        self.stats.runs += 1
        self.stats.attempts += verified.attempts
        self.logger.debug(
            "%s: %d rows (%s) verified", self.name, verified.rows, self.where(context, window)
        )

    def _partition_done(
        self, context: Context, zone: ZoneInfo, last: tuple[Window, VerifiedRun] | None
    ) -> None:
        bookmark, value = self.saved_bookmark(context), context[self.kind.key]
        self.stats.note_resume_point(self.kind.format_bookmark(bookmark) if bookmark else None)
        if last is not None and bookmark is not None:
            # The watermark row comes from the very bookmark the state holds.
            window, verified = last
            self.services.watermarks.add(
                VerifiedPartition(
                    stream=self.name,
                    mailbox_id=context["mailboxId"],
                    period=value,
                    zone=zone,
                    watermark=self.kind.watermark(bookmark, window, value, zone),
                    cutoff=verified.cutoff,
                    api_now=verified.api_now,
                    verified_at=self.services.api_clock.now(),
                )
            )
        if context == self.partitions[-1]:
            self.logger.info("%s", self.stats.summary(self.name))

    def _window_rows(
        self, context: Context, ticket: Ticket, zone: ZoneInfo
    ) -> Generator[dict[str, Any], None, VerifiedRun]:
        """Emit a window's rows as its run pages; return the run's verified facts."""
        run = ticket.run
        pages = run.pages(self.services.scheduler.until_ready)
        rows, attempt = self._completer(context, zone, ticket), 0
        while True:
            try:
                page = next(pages)
            except StopIteration as finished:
                rows.close()
                return finished.value  # type: ignore[no-any-return]
            if page.attempt != attempt:  # a re-created run: read the window afresh
                rows, attempt = self._completer(context, zone, ticket), page.attempt
            rows.page(page)
            self.stats.rows += len(page.rows)
            yield from rows.complete_page(page.rows)

    def _completer(
        self, context: Context, zone: ZoneInfo, ticket: Ticket
    ) -> RowCompleter | MessageCompleter:
        run = ticket.run
        if self.definition.report.kind == "activity":  # a row per message, not per period
            return MessageCompleter(
                partition=dict(context),
                zone=zone,
                keeper=self._keeper,
                malformed=run.malformed,
                window_end=ticket.window.end,
                sent=self._sent,
            )
        return RowCompleter(
            partition=dict(context),
            zone=zone,
            dimension=self.definition.report.dimension,
            order=self._dimension_order(context["mailboxId"]),
            keeper=self._keeper,
            malformed=run.malformed,
        )

    def _dimension_order(self, mailbox_id: str) -> Callable[[str], str] | None:
        """How the report orders one period's rows by dimension (see the registry)."""
        order = self.definition.report.dimension_order
        if order != "directory":
            return str.casefold if order == "alphabetical" else None
        users = self.services.directory.get(mailbox_id).get("users") or []
        position = {user.get("userId"): f"{i:06d}" for i, user in enumerate(users)}
        return lambda user_id: position.get(user_id, "999999" + user_id)

    @override
    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        # No child streams: skip the SDK's per-row child context (a generator, a
        # context copy and a filter call for every row).
        del record, context
        return ()

    @override
    def forbidden(self, detail: str) -> ScopeRefusedError | None:
        scopes = self.definition.report.extra_scopes
        if not scopes:
            return None
        msg = (
            f"The API key lacks {' and '.join(scopes)}, which {self.name} "
            f"({self.definition.report.path}) needs as well as reporting ({detail}): use a "
            f"key with both, or deselect {self.name}; the other streams were extracted."
        )
        return ScopeRefusedError(msg, HTTPStatus.FORBIDDEN)

    @override
    def not_found_message(self, response: requests.Response, detail: str) -> str:
        try:
            mailbox = json.loads(response.request.body or b"{}").get("mailboxId", "?")
        except (ValueError, AttributeError):
            mailbox = "?"
        return (
            f"Mailbox {mailbox} is not in this key's allowlist, or does not exist "
            f"({detail}): add it to the key's allowlist in Emailgistics Admin, or remove "
            "it from mailbox_ids."
        )
