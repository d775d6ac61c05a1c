"""Report streams: one per field-group combination of each registry report.

A partition is (mailboxId, period). Its range, from the bookmark (or start_date) to
end_date (or now), is cut into windows; each window is one report run. After each
window the bookmark moves to the first period that is not final yet and a STATE
message is written, so a failure later keeps every completed window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from singer_sdk.streams.rest import HTTPRequest, PageContext
from typing_extensions import override

from tap_emailgistics.client import EmailgisticsStream
from tap_emailgistics.errors import ResultExpiredError, RunFailedError
from tap_emailgistics.extras import ExtraFieldKeeper
from tap_emailgistics.pagination import ReportRunPaginator, RunLink, envelope_of
from tap_emailgistics.schemas import STREAM_SCHEMA
from tap_emailgistics.settings import wall_clock
from tap_emailgistics.windows import (
    RowClock,
    Window,
    bookmark_after,
    cut_windows,
    format_local,
    format_utc,
    parse_cutoff,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable
    from zoneinfo import ZoneInfo

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context

    from tap_emailgistics.registry import StreamDefinition
    from tap_emailgistics.services import TapServices

BOOKMARK = "provisional_from"
_MAX_EXPIRY_RESTARTS = 3


@dataclass
class _WindowRun:
    """One attempt at one window: where it starts and what it has seen."""

    window: Window
    zone: ZoneInfo
    clock: RowClock
    restart: RunLink | None = None
    paginator: ReportRunPaginator | None = field(default=None)


class ReportStream(EmailgisticsStream):
    """Rows of one report, for one field-group combination."""

    replication_key = "startDateTimeUtc"
    # Rows arrive in period order; the SDK's own bookmark is informative only (the
    # finality bookmark is ``provisional_from``), so its sort check is not needed and
    # would trip on the rows a re-created run re-emits.
    is_sorted = True
    check_sorted = False
    schema = STREAM_SCHEMA

    def __init__(
        self, tap: Tap, definition: StreamDefinition, services: Callable[[], TapServices]
    ) -> None:
        """Build the stream named and shaped by ``definition``."""
        self.definition = definition
        self.selected_by_default = definition.selected_by_default
        path = f"/api/v1/reports/{definition.report.path}"
        super().__init__(tap, services, name=definition.name, path=path)
        self.primary_keys = list(definition.primary_keys)
        self._keeper = ExtraFieldKeeper(self.name, set(self.schema["properties"]), self.logger)
        self._run: _WindowRun | None = None

    @property
    @override
    def partitions(self) -> list[dict[str, Any]]:
        services = self.services
        mailbox_ids = services.directory.selected_ids(services.settings.mailbox_ids)
        return [
            {"mailboxId": mailbox_id, "period": period}
            for mailbox_id in mailbox_ids
            for period in services.settings.periods
        ]

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if context is None:  # the SDK always passes a partition; be explicit anyway
            return
        services = self.services
        mailbox_id, period = context["mailboxId"], context["period"]
        zone = services.directory.zone(mailbox_id)
        settings = services.settings
        state = self.get_context_state(context)
        start = wall_clock(state[BOOKMARK], BOOKMARK) if state.get(BOOKMARK) else settings.start
        end = settings.end or services.directory.local_now(mailbox_id)
        bookmark_pinned = False
        for window in cut_windows(start, end, period, settings.window_days[period]):
            cutoff = yield from self._window_rows(context, window, zone)
            bookmark = bookmark_after(window, period, zone, cutoff)
            if not bookmark_pinned:
                # Later windows must not move the bookmark past a provisional period.
                self._save_bookmark(context, bookmark)
                bookmark_pinned = bookmark < window.end

    def _save_bookmark(self, context: Context, bookmark: Any) -> None:  # noqa: ANN401
        self.get_context_state(context)[BOOKMARK] = format_local(bookmark)
        self._flush_state()

    def _flush_state(self) -> None:
        # WORKAROUND (singer-sdk 0.54): the SDK writes STATE only every
        # STATE_MSG_FREQUENCY records and when a stream ends, and has no public hook to
        # flush mid-partition. A STATE after every window is what makes a failure keep
        # the completed windows, so mark state dirty and call the SDK's own flush.
        # Pinned by tests/unit/test_report_stream.py (state after each window).
        self.state_manager.is_flushed = False
        self._write_state_message()

    def _window_rows(
        self, context: Context, window: Window, zone: ZoneInfo
    ) -> Generator[dict[str, Any], None, Any]:
        """Rows of one window; returns the run's cutoff (UTC) once it is complete."""
        run = _WindowRun(window, zone, RowClock(zone, context["period"]))
        failures = expiries = 0
        while True:
            failed_origin: dict[str, Any] | None = None
            self._run = run
            try:
                for row in self.request_records({**context, "window": format_local(window.start)}):
                    yield self._complete_row(row, context, run)
                observed = run.paginator.observed if run.paginator else None
                return parse_cutoff(observed.cutoff if observed else None, zone)
            except ResultExpiredError:
                expiries += 1
                if expiries > _MAX_EXPIRY_RESTARTS:
                    raise
                self.logger.warning(
                    "Result expired mid-paging; re-creating the run and re-reading window %s",
                    format_local(window.start),
                )
            except RunFailedError as error:
                failures += 1
                self._check_retries(error, failures, context, window)
                failed_origin = error.origin
            run = _WindowRun(
                window,
                zone,
                RowClock(zone, context["period"]),
                restart=self._restart_link(run, failed_origin),
            )

    def _check_retries(
        self, error: RunFailedError, failures: int, context: Context, window: Window
    ) -> None:
        retries = self.services.settings.run_error_retries
        where = (
            f"mailbox {context['mailboxId']}, period {context['period']}, window from "
            f"{format_local(window.start)}"
        )
        if failures > retries:
            msg = (
                f"{error} ({where}; {failures} attempts). The bookmark did not move: rerun "
                "later, or raise run_error_retries."
            )
            raise RunFailedError(msg, error.origin) from error
        self.logger.warning(
            "%s (%s); re-creating the run (%d of %d)", error, where, failures, retries
        )

    @staticmethod
    def _restart_link(run: _WindowRun, failed_origin: dict[str, Any] | None) -> RunLink | None:
        """Re-create from the run's ``_links.origin`` (an error at POST carries its own)."""
        origin = (run.paginator.observed.origin if run.paginator else None) or failed_origin
        return RunLink.from_origin(origin) if origin else run.restart

    @override
    def get_new_paginator(self) -> ReportRunPaginator:
        services, run = self.services, self._require_run()
        run.paginator = ReportRunPaginator(run.restart, services.guard, services.poll_policy)
        return run.paginator

    def _require_run(self) -> _WindowRun:
        if self._run is None:  # pragma: no cover - get_records always sets it
            msg = "report requests are only made inside a window"
            raise RuntimeError(msg)
        return self._run

    @override
    def get_http_request(self, *, page: PageContext[Any]) -> HTTPRequest:
        token: RunLink | None = page.next_page_token
        guard = self.services.guard
        if token is None:
            return HTTPRequest(
                url=self.get_url(page.stream_context),
                method="POST",
                params=self._query(),
                headers=self.http_headers,
                data=self._body(page.stream_context),
            )
        if token.method == "POST":
            # The documented origin href carries no query string: re-add ours, or a
            # re-created run would silently fall back to the default field group.
            present = dict(parse_qsl(urlsplit(token.href).query))
            params = {k: v for k, v in self._query().items() if k not in present}
            return HTTPRequest(
                url=guard.check(token.href),
                method="POST",
                params=params,
                headers=self.http_headers,
                data=token.body,
            )
        return HTTPRequest(url=guard.check(token.href), method="GET", headers=self.http_headers)

    def _query(self) -> dict[str, Any]:
        report, settings = self.definition.report, self.services.settings
        params: dict[str, Any] = {
            "fieldGroup": ",".join(self.definition.field_groups),
            "max": settings.page_size,
        }
        if report.supports_details and settings.include_details:
            params["includeDetails"] = "true"
        return params

    def _body(self, context: Context | None) -> dict[str, Any]:
        run, report = self._require_run(), self.definition.report
        start, end = run.window.request_bounds()
        body: dict[str, Any] = {
            "mailboxId": (context or {})["mailboxId"],
            "start": start,
            "end": end,
            "period": (context or {})["period"],
        }
        filters = self.services.settings.filters
        if report.filter_setting and (values := filters.get(report.filter_setting)):
            body[report.filter_setting] = values
        return body

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

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        result = envelope_of(response).get("result") or {}
        for row in result.get("data") or []:
            yield {
                **row,
                "timeZone": result.get("timeZone"),
                "dataCutoffTimestamp": result.get("dataCutoffTimestamp"),
            }

    def _complete_row(
        self, row: dict[str, Any], context: Context, run: _WindowRun
    ) -> dict[str, Any]:
        cutoff_text = row.pop("dataCutoffTimestamp", None)
        dimension = self.definition.report.dimension
        utc_start = run.clock.utc_start(row["startDateTime"], row.get(dimension or ""))
        final = run.clock.is_final(utc_start, parse_cutoff(cutoff_text, run.zone))
        record = {
            **row,
            "mailboxId": context["mailboxId"],
            "period": context["period"],
            "timeZone": row.get("timeZone") or str(run.zone.key),
            "startDateTimeUtc": format_utc(utc_start),
            "isFinal": final,
            "dataCutoffTimestamp": None if final else cutoff_text,
        }
        return self._keeper.keep(record)
