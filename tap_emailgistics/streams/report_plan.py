"""A report stream's plan: its partitions, longest-waiting first, their windows and runs.

A partition is (mailboxId, period). Its range runs from the bookmark (or start_date)
to end_date (or the API's now); it is cut into windows sized by the rows a run is
expected to return (``rows_per_run``, the periods and the mailbox's users), so that a
first sync makes about one run per partition; ``window_days`` caps them further. Each
window is a ``Ticket`` with its ``ReportRun``, resumed from state when a run of the
same window and request is recorded there.

Partitions are read longest-waiting first (``priority``): a sync that a time budget
cuts short hands the rest to the next sync, which starts with them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tap_emailgistics.engine.in_flight import forget_run, record_run, recorded_link
from tap_emailgistics.engine.run import ReportRun
from tap_emailgistics.engine.tickets import Ticket
from tap_emailgistics.engine.values import RunRequest
from tap_emailgistics.errors import StateError
from tap_emailgistics.finality.bookmarks import BOOKMARK, BookmarkedStream
from tap_emailgistics.finality.periods import cut_windows, floor_period, format_local
from tap_emailgistics.finality.priority import partition_key

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from singer_sdk.helpers.types import Context

    from tap_emailgistics.catalog.registry import StreamDefinition
    from tap_emailgistics.finality.periods import Window

#: Sender domains per period assumed when ``domains`` is not set (the API says none).
ESTIMATED_DOMAINS = 50


class PlannedReportStream(BookmarkedStream):
    """The planning half of a report stream (``ReportStream`` reads what it plans)."""

    definition: StreamDefinition

    @cached_property
    def _partitions(self) -> list[dict[str, Any]]:
        # Built once, longest-waiting first: the SDK reads them in this order.
        services = self.services
        mailbox_ids = services.directory.selected_ids(services.settings.mailbox_ids)
        contexts = [
            {"mailboxId": mailbox_id, "period": period}
            for mailbox_id in mailbox_ids
            for period in services.settings.periods
        ]
        start = format_local(services.settings.start)
        return sorted(contexts, key=lambda c: partition_key(self.get_context_state(c), start))

    def plan(self) -> list[Ticket]:
        """Every window of every partition, with its run (resumed from state if it can be)."""
        settings = self.services.settings
        tickets: list[Ticket] = []
        for context in self._partitions:
            zone = self.services.directory.zone(context["mailboxId"])
            start, end = self._range(context, zone)
            period = context["period"]
            periods = max(1, settings.rows_per_run // self._rows_per_period(context))
            max_days = settings.window_days.get(period)
            windows = cut_windows(start, end, period, periods, max_days)
            tickets.extend(self.ticket(context, window) for window in windows)
        return tickets

    def _rows_per_period(self, context: Context) -> int:
        """The rows one period of this report is expected to hold, for one mailbox."""
        report, settings = self.definition.report, self.services.settings
        if report.dimension is None:
            return 1
        chosen = settings.filters.get(report.filter_setting) if report.filter_setting else None
        if chosen:
            return len(chosen)
        if report.dimension_order == "directory":  # the mailbox's users, and 'unknown'
            users = self.services.directory.get(context["mailboxId"]).get("users") or []
            return len(users) + 1
        return ESTIMATED_DOMAINS

    def ticket(self, context: Context, window: Window) -> Ticket:
        """The ticket of one window, its run resumed from state if one is recorded."""
        create = self._create_request(context, window)
        api_now = self.services.api_clock.now()
        link = recorded_link(self.get_context_state(context), window, create, api_now)
        run = ReportRun(
            create,
            f"{self.name}: {self.where(context, window)}",
            policy=self.services.poll_policy,
            error_retries=self.services.settings.run_error_retries,
            resume_href=link,
        )
        if link is not None:
            self.stats.resumed += 1
            self.logger.debug("%s: resuming the run recorded in state (%s)", self.name, link)
        return Ticket(
            (self.name, context["mailboxId"], context["period"]),
            window,
            run,
            self.send,
            on_created=self._record_run,
            on_dropped=self._drop_run,
            spawn=lambda part: self.ticket(context, part),
            noted_href=link,
        )

    def _ticket_state(self, ticket: Ticket) -> dict[str, Any]:
        _, mailbox_id, period = ticket.partition
        return self.get_context_state({"mailboxId": mailbox_id, "period": period})

    def _record_run(self, ticket: Ticket) -> None:
        """Keep a created run's results link in state, for a rerun after a crash."""
        link, api_now = ticket.run.results_href, self.services.api_clock.now()
        if link is not None:
            record_run(self._ticket_state(ticket), ticket.window, ticket.run.create, link, api_now)
            self.write_state_soon()

    def _drop_run(self, ticket: Ticket) -> None:
        """A run that must not be read again: the next sync creates it afresh."""
        forget_run(self._ticket_state(ticket), ticket.window)
        self.write_state_soon()

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
                "Clear this stream's state (README: Clearing one stream's state) to re-extract "
                "from start_date."
            )
            raise StateError(msg)
        return bookmark, end

    def where(self, context: Context, window: Window) -> str:
        """Report, mailbox, period and window, for every line about this window's run."""
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
