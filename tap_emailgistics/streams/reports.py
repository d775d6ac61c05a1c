"""Report streams: one per field-group combination of each registry report.

A partition is (mailboxId, period). Its range, from the bookmark (or start_date) to
end_date (or the API's now), is cut into windows; each window is one report run
(``report_run``). Rows are emitted as pages arrive; only once the run is verified
does the bookmark move, to the first period that is not final yet, and a STATE
message is written, so a failure later keeps every completed window.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from singer_sdk.helpers.conform import TypeConformanceLevel
from typing_extensions import override

from tap_emailgistics.bookmarks import BOOKMARK, BookmarkedStream
from tap_emailgistics.errors import StateError
from tap_emailgistics.extras import ExtraFieldKeeper
from tap_emailgistics.finality import bookmark_after, final_until, parse_cutoff
from tap_emailgistics.progress import PartitionProgress, StreamStats
from tap_emailgistics.report_run import ReportRun
from tap_emailgistics.rows import RowCompleter
from tap_emailgistics.run_records import forget_run, record_run, recorded_link
from tap_emailgistics.run_types import RunRequest, VerifiedRun
from tap_emailgistics.scheduler import Ticket
from tap_emailgistics.schemas import STREAM_SCHEMA
from tap_emailgistics.watermarks import VerifiedPartition
from tap_emailgistics.windows import (
    Window,
    cut_windows,
    floor_period,
    format_local,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable
    from zoneinfo import ZoneInfo

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_emailgistics.registry import StreamDefinition
    from tap_emailgistics.services import TapServices


class ReportStream(BookmarkedStream):
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
        plan: Callable[[ReportStream], None],
    ) -> None:
        """Build the stream named and shaped by ``definition``.

        ``plan`` puts this stream's runs (and, in a whole sync, every selected report
        stream's) into the scheduler before the first is read.
        """
        self.definition = definition
        self._plan = plan
        self.selected_by_default = definition.selected_by_default
        path = f"/api/v1/reports/{definition.report.path}"
        super().__init__(tap, services, name=definition.name, path=path)
        self.primary_keys = list(definition.primary_keys)
        self._keeper = ExtraFieldKeeper(self.name, set(self.schema["properties"]), self.logger)

    @property
    @override
    def partitions(self) -> list[dict[str, Any]]:
        return self._partitions

    @cached_property
    def _partitions(self) -> list[dict[str, Any]]:
        # Built once: get_records compares each partition with the first and the last.
        services = self.services
        mailbox_ids = services.directory.selected_ids(services.settings.mailbox_ids)
        return [
            {"mailboxId": mailbox_id, "period": period}
            for mailbox_id in mailbox_ids
            for period in services.settings.periods
        ]

    def plan(self) -> list[Ticket]:
        """Every window of every partition, with its run (resumed from state if it can be)."""
        self.stats = StreamStats()  # this sync's counts start with its plan
        settings = self.services.settings
        tickets: list[Ticket] = []
        for context in self.partitions:
            zone = self.services.directory.zone(context["mailboxId"])
            start, end = self._range(context, zone)
            period = context["period"]
            windows = cut_windows(start, end, period, settings.window_days[period])
            tickets.extend(self._ticket(context, window) for window in windows)
        return tickets

    def _ticket(self, context: Context, window: Window) -> Ticket:
        create = self._create_request(context, window)
        api_now = self.services.api_clock.now()
        link = recorded_link(self.get_context_state(context), window, create, api_now)
        run = ReportRun(
            create,
            f"{self.name}: {self._where(context, window)}",
            policy=self.services.poll_policy,
            error_retries=self.services.settings.run_error_retries,
            resume_href=link,
        )
        partition = (self.name, context["mailboxId"], context["period"])
        ticket = Ticket(partition, window, run, self.send, self._record_run, noted_href=link)
        if link is not None:
            self.logger.info("%s: resuming the run recorded in state (%s)", self.name, link)
        return ticket

    def _record_run(self, ticket: Ticket) -> None:
        """Keep a created run's results link in state, for a rerun after a crash."""
        _, mailbox_id, period = ticket.partition
        state = self.get_context_state({"mailboxId": mailbox_id, "period": period})
        link, api_now = ticket.run.results_href, self.services.api_clock.now()
        if link is not None:
            record_run(state, ticket.window, ticket.run.create, link, api_now)
            self.write_state_soon()

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if context is None:  # the SDK always passes a partition; be explicit anyway
            return
        self._plan(self)
        completed = False
        try:
            yield from self._partition_records(context)
            completed = True
        finally:
            # STATE is coalesced, but one goes out at the end of every stream, and after
            # the plan's last window or any failure every later one goes out at once
            # (the state holds verified windows only).
            finished = not completed or self.services.scheduler.drained
            if finished or context == self.partitions[-1]:
                self.services.flush_state(finished)

    def _partition_records(self, context: Context) -> Generator[dict[str, Any], None, None]:
        period, directory = context["period"], self.services.directory
        zone = directory.zone(context["mailboxId"])
        users = self.services.settings.filters.get("users")
        if users and self.definition.report.filter_setting == "users":
            directory.warn_unknown_users(context["mailboxId"], users)
        scheduler = self.services.scheduler
        tickets = scheduler.tickets((self.name, context["mailboxId"], period))
        progress, pinned = PartitionProgress(len(tickets)), False
        last: tuple[Window, VerifiedRun] | None = None
        for ticket in tickets:
            verified = yield from self._window_rows(context, ticket, zone)
            scheduler.finish(ticket.run)
            window = ticket.window
            cutoff = parse_cutoff(verified.cutoff, zone, verified.api_now)
            bookmark = bookmark_after(window, period, zone, final_until(cutoff, verified.api_now))
            forget_run(self.get_context_state(context), window)
            if not pinned:
                # Later windows must not move the bookmark past a provisional period.
                self.save_bookmark(context, bookmark)
                pinned = bookmark < window.end
            self.write_state_soon()
            self._window_verified(context, window, verified, progress)
            last = (window, verified)
        self._partition_done(context, zone, last)

    def _window_verified(
        self, context: Context, window: Window, verified: VerifiedRun, progress: PartitionProgress
    ) -> None:
        self.stats.runs += 1
        self.stats.attempts += verified.attempts
        self.logger.info(
            "%s: %d rows (%s); %s",
            self.name,
            verified.rows,
            self._where(context, window),
            progress.window_done(),
        )

    def _partition_done(
        self, context: Context, zone: ZoneInfo, last: tuple[Window, VerifiedRun] | None
    ) -> None:
        bookmark = self.saved_bookmark(context)
        self.stats.resume_points[format_local(bookmark) if bookmark else "start_date"] += 1
        if last is not None and bookmark is not None:
            # The watermark row comes from the very bookmark the state holds.
            window, verified = last
            self.services.watermarks.add(
                VerifiedPartition(
                    stream=self.name,
                    mailbox_id=context["mailboxId"],
                    period=context["period"],
                    zone=zone,
                    final_through=bookmark,
                    extracted_until=window.end,
                    cutoff=verified.cutoff,
                    api_now=verified.api_now,
                )
            )
        if context == self.partitions[-1]:
            self.logger.info("%s", self.stats.summary(self.name))

    def _range(self, context: Context, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """From the bookmark (or start_date) to end_date (or the API's now), local."""
        settings, period = self.services.settings, context["period"]
        api_now = self.services.api_clock.now().astimezone(zone).replace(tzinfo=None)
        # The period containing now is included, also when now is exactly its start
        # (which, in a repeated DST hour, is the only way to reach its first occurrence).
        end = settings.end or api_now + timedelta(seconds=1)
        bookmark = self.saved_bookmark(context)
        if bookmark is None:
            return settings.start, end
        if bookmark > floor_period(api_now, period):
            msg = (
                f"The state of {self.name} for mailbox {context['mailboxId']}, period "
                f"{period} says {BOOKMARK} {format_local(bookmark)}, which is after the API's now "
                f"({format_local(api_now)} in {zone.key}): the state comes from a machine "
                "with a wrong clock or was edited, and periods before it may be missing. "
                "Clear this stream's state (meltano state clear) to re-extract from start_date."
            )
            raise StateError(msg)
        return bookmark, end

    def _window_rows(
        self, context: Context, ticket: Ticket, zone: ZoneInfo
    ) -> Generator[dict[str, Any], None, VerifiedRun]:
        """Emit a window's rows as its run pages; return the run's verified facts."""
        run = ticket.run
        pages = run.pages(self.send, self.services.scheduler.until_done)
        rows, attempt = self._completer(context, zone, run), 0
        while True:
            try:
                page = next(pages)
            except StopIteration as finished:
                rows.close()
                return finished.value  # type: ignore[no-any-return]
            if page.attempt != attempt:  # a re-created run: read the window afresh
                rows, attempt = self._completer(context, zone, run), page.attempt
            rows.page(page)
            self.stats.rows += len(page.rows)
            yield from map(rows.complete, page.rows)

    def _completer(self, context: Context, zone: ZoneInfo, run: ReportRun) -> RowCompleter:
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

    def _where(self, context: Context, window: Window) -> str:
        return (
            f"report {self.definition.report.path}, mailbox {context['mailboxId']}, period "
            f"{context['period']}, window {format_local(window.start)} to "
            f"{format_local(window.end)}"
        )

    def _create_request(self, context: Context, window: Window) -> RunRequest:
        report, settings = self.definition.report, self.services.settings
        params: dict[str, Any] = {
            "fieldGroup": ",".join(self.definition.field_groups),
            "max": settings.page_size,
        }
        if report.supports_details and settings.include_details:
            params["includeDetails"] = "true"
        start, end = window.request_bounds()
        body: dict[str, Any] = {
            "mailboxId": context["mailboxId"],
            "start": start,
            "end": end,
            "period": context["period"],
        }
        if report.filter_setting and (values := settings.filters.get(report.filter_setting)):
            body[report.filter_setting] = values
        return RunRequest("POST", body=body, params=params)

    @override
    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        # No child streams: skip the SDK's per-row child context (a generator, a
        # context copy and a filter call for every row).
        del record, context
        return ()

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
