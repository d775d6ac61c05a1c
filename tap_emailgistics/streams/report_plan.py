"""A report stream's plan: its partitions, longest-waiting first, their windows and runs.

A partition is (mailboxId, period), or (mailboxId, activityType) for an activity
report: the registry entry's kind (``finality.kinds``) says which, how its range is cut
and where its bookmark goes. Its range runs from the bookmark (or start_date) to
end_date (or the API's now); it is cut into windows sized by the rows a run is expected
to return (``rows_per_run``: the periods and the mailbox's users, or the days and the
messages a day), so that a first sync makes about one run per partition;
``window_days`` caps them further. Each window is a ``Ticket`` with its ``ReportRun``,
resumed when a run of the same window and request is recorded in the state, or else in
the run journal (``engine.journal``: runs a stopped process created, its state lost).

Partitions are read longest-waiting first (``priority``): a sync that a time budget
cuts short hands the rest to the next sync, which starts with them.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from tap_emailgistics.engine.in_flight import forget_run, record_run, recorded_link
from tap_emailgistics.engine.run import ReportRun
from tap_emailgistics.engine.tickets import Ticket
from tap_emailgistics.errors import StateError
from tap_emailgistics.finality.by_activity import ByActivity
from tap_emailgistics.finality.by_period import ByPeriod
from tap_emailgistics.finality.periods import format_local, format_utc
from tap_emailgistics.finality.priority import partition_key
from tap_emailgistics.streams.bookmarked import BOOKMARK, BookmarkedStream, verified_at
from tap_emailgistics.values import RunRequest

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from singer_sdk.helpers.types import Context

    from tap_emailgistics.catalog.registry import StreamDefinition
    from tap_emailgistics.engine.tickets import PartitionKey
    from tap_emailgistics.finality.kinds import PartitionKind
    from tap_emailgistics.finality.periods import Window

#: Sender domains per period assumed when ``domains`` is not set (the API says none).
ESTIMATED_DOMAINS = 50
#: Messages a mailbox is assumed to receive a day, to size message windows (a stance).
ESTIMATED_MESSAGES_PER_DAY = 200
#: The kind of each registry entry: how its partitions, windows and bookmarks work.
KINDS: dict[str, PartitionKind] = {"periodic": ByPeriod(), "activity": ByActivity()}


class PlannedReportStream(BookmarkedStream):
    """The planning half of a report stream (``ReportStream`` reads what it plans)."""

    definition: StreamDefinition

    def partition_of(self, context: Context) -> PartitionKey:
        """``(stream, mailboxId, period or activity type)``."""
        return (self.name, context["mailboxId"], context[self.kind.key])

    @cached_property
    def _partitions(self) -> list[dict[str, Any]]:
        # Built once, longest-waiting first: the SDK reads them in this order.
        services, key = self.services, self.kind.key
        mailbox_ids = services.directory.selected_ids(services.settings.mailbox_ids)
        contexts = [
            {"mailboxId": mailbox_id, key: value}
            for mailbox_id in mailbox_ids
            for value in self.kind.values(services.settings)
        ]
        start = format_local(services.settings.start)
        return sorted(contexts, key=lambda c: partition_key(self.get_context_state(c), start))

    def plan(self) -> list[Ticket]:
        """Every window of every partition, with its run (resumed from state if it can be)."""
        settings, kind = self.services.settings, self.kind
        tickets: list[Ticket] = []
        for context in self._partitions:
            zone = self.services.directory.zone(context["mailboxId"])
            start, end = self._range(context, zone)
            value = context[kind.key]
            units = max(1, settings.rows_per_run // self._rows_per_unit(context))
            windows = kind.windows(start, end, value, units, settings.window_days.get(value))
            tickets.extend(self.ticket(context, window) for window in windows)
        return tickets

    def _rows_per_unit(self, context: Context) -> int:
        """The rows one period (or day, for messages) is expected to hold, for one mailbox."""
        report, settings = self.definition.report, self.services.settings
        if report.kind == "activity":
            return ESTIMATED_MESSAGES_PER_DAY
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
        """The ticket of one window, its run resumed from state (or the journal) if recorded."""
        create = self._create_request(context, window)
        api_now = self.services.api_clock.now()
        state = self.get_context_state(context)
        link = recorded_link(state, window, create, api_now)
        journal, where = self.services.journal, "state"
        if link is None and journal is not None:  # the state may have been lost
            subject = f"{self.name}/{context['mailboxId']}"
            link = journal.link(subject, create, api_now, verified_at(state))
            where = "the run journal"
        run = ReportRun(
            create,
            f"{self.name}: {self.where(context, window)}",
            policy=self.services.poll_policy,
            error_retries=self.services.settings.run_error_retries,
            resume_href=link,
        )
        if link is not None:
            if where == "state":
                self.stats.resumed += 1
            else:
                self.stats.journaled += 1
            self.logger.debug("%s: resuming the run recorded in %s (%s)", self.name, where, link)
        return Ticket(
            self.partition_of(context),
            window,
            run,
            self.send_once,
            on_created=self._record_run,
            on_dropped=self._drop_run,
            spawn=lambda part: self.ticket(context, part),
            report=self.definition.report.path,
            noted_href=link,
        )

    def _ticket_state(self, ticket: Ticket) -> dict[str, Any]:
        _, mailbox_id, value = ticket.partition
        return self.get_context_state({"mailboxId": mailbox_id, self.kind.key: value})

    def _record_run(self, ticket: Ticket) -> None:
        """Keep a created run's results link in state, for a rerun after a crash."""
        link, api_now = ticket.run.results_href, self.services.api_clock.now()
        if link is not None:
            record_run(self._ticket_state(ticket), ticket.window, ticket.run.create, link, api_now)
            if self.services.journal is not None:
                subject = self.journal_subject(ticket)
                self.services.journal.created(subject, ticket.run.create, link, api_now)
            self.write_state_soon()

    def _drop_run(self, ticket: Ticket) -> None:
        """A run that must not be read again: the next sync creates it afresh."""
        forget_run(self._ticket_state(ticket), ticket.window)
        if self.services.journal is not None:
            self.services.journal.dropped(self.journal_subject(ticket), ticket.run.create)
        self.write_state_soon()

    def journal_subject(self, ticket: Ticket) -> str:
        """The stream and mailbox of a ticket, as the run journal names them."""
        return f"{self.name}/{ticket.partition[1]}"

    def _range(self, context: Context, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """From the bookmark (or start_date) to end_date (or the API's now)."""
        kind, api_now = self.kind, self.services.api_clock.now()
        bookmark = self.saved_bookmark(context)
        if bookmark is not None and kind.after_now(bookmark, context[kind.key], zone, api_now):
            msg = (
                f"The state of {self.name} for mailbox {context['mailboxId']}, {kind.key} "
                f"{context[kind.key]} says {BOOKMARK} {kind.format_bookmark(bookmark)}, which is "
                f"after the API's now ({format_utc(api_now)}): the state comes from a machine "
                "with a wrong clock or was edited, and what lies before it may be missing. "
                "Clear this stream's state (docs/incremental-and-finality.md, Clearing one "
                "stream's state) to re-extract from start_date."
            )
            raise StateError(msg)
        return kind.span(bookmark, self.services.settings, zone, api_now)

    def where(self, context: Context, window: Window) -> str:
        """Report, mailbox, period (or activity) and window, for every line about its run."""
        return (
            f"report {self.definition.report.path}, mailbox {context['mailboxId']}, "
            f"{self.kind.key} {context[self.kind.key]}, window {self.kind.describe(window)}"
        )

    def _create_request(self, context: Context, window: Window) -> RunRequest:
        report, settings = self.definition.report, self.services.settings
        params: dict[str, Any] = {
            "fieldGroup": ",".join(self.definition.field_groups),
            "max": settings.page_size,
        }
        if report.supports_details and settings.include_details:
            params["includeDetails"] = "true"
        body: dict[str, Any] = {
            "mailboxId": context["mailboxId"],
            **self.kind.request(window, context[self.kind.key]),
        }
        if report.filter_setting and (values := settings.filters.get(report.filter_setting)):
            body[report.filter_setting] = values
        return RunRequest("POST", body=body, params=params)
