"""The Emailgistics tap: settings, shared services and stream discovery."""

from __future__ import annotations

import copy
import logging
import os
import signal
import threading
import time
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, cast

from singer_sdk import Stream, Tap
from singer_sdk.helpers.capabilities import PluginCapabilities, TapCapabilities
from typing_extensions import override

from tap_emailgistics.catalog.registry import stream_definitions
from tap_emailgistics.errors import RunInterruptedError
from tap_emailgistics.finality.periods import format_local, format_utc
from tap_emailgistics.finality.priority import stream_order
from tap_emailgistics.finality.state_output import CoalescingStateWriter, CountingSingerWriter
from tap_emailgistics.finality.watermarks import WATERMARKS_STREAM
from tap_emailgistics.settings.parse import (
    CONFIG_SCHEMA,
    SECRET_SETTINGS,
    check_settings,
    numbers_from_text,
)
from tap_emailgistics.streams.mailboxes import (
    MailboxesStream,
    MailboxTagsStream,
    MailboxUsersStream,
)
from tap_emailgistics.streams.reports import ReportStream
from tap_emailgistics.streams.watermarks import FinalityWatermarksStream
from tap_emailgistics.sync.absent_mailboxes import last_verified, warn_absent
from tap_emailgistics.sync.progress import sync_summary
from tap_emailgistics.transport.redaction import REDACTOR
from tap_emailgistics.wiring import build_services

if TYPE_CHECKING:
    from types import FrameType

    import click
    from singer_sdk.helpers.types import TapState

    from tap_emailgistics.sync.services import TapServices


HELP = """Singer tap for the Emailgistics Reporting API (v1): mailbox, user and
sender-domain reply/close performance, extracted incrementally by finality (only
periods that were still provisional are fetched again).

\b
  tap-emailgistics --about --format=markdown  every setting, with its description
  tap-emailgistics --config config.json --discover > catalog.json
  tap-emailgistics --config config.json --catalog catalog.json --state state.json

Exit codes: 0 success, 1 a setting/key/file needs fixing, 2 incomplete data this
time (rerun later), 3 some mailbox/periods failed (the others were extracted),
130/143 interrupted. Errors are one line on stderr.
"""
LOGGER = logging.getLogger("tap-emailgistics")
#: The state's record of the last minute's requests (``pacing``), for the next sync.
REQUESTS_KEY = "requests_last_minute"


def _tap_log_level() -> None:
    """``TAP_EMAILGISTICS_LOGLEVEL`` (or ``LOGLEVEL``) for the tap's own loggers.

    The SDK applies it to the root logger, but under Meltano the log configuration
    Meltano hands over (``SINGER_SDK_LOG_CONFIG``) sets the root level after it, so DEBUG
    never showed; the tap's logger keeps the level asked for. An unknown name is ignored.
    """
    asked = os.environ.get("TAP_EMAILGISTICS_LOGLEVEL") or os.environ.get("LOGLEVEL")
    level = logging.getLevelName(asked.upper()) if asked else None
    if isinstance(level, int):
        LOGGER.setLevel(level)


class TapEmailgistics(Tap):
    """Singer tap for Emailgistics mailbox, user and sender-domain performance reports, with finality watermarks (which periods are settled)."""  # noqa: E501

    name = "tap-emailgistics"
    config_jsonschema: ClassVar[dict[str, Any]] = CONFIG_SCHEMA
    capabilities: ClassVar[list[Any]] = [
        PluginCapabilities.ABOUT,
        TapCapabilities.CATALOG,
        TapCapabilities.DISCOVER,
        TapCapabilities.STATE,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
        TapCapabilities.ACTIVATE_VERSION,
    ]

    #: Counts what is written, so STATE can be coalesced (``state_output``).
    message_writer_class = CountingSingerWriter

    def __init__(
        self,
        *args: Any,  # noqa: ANN401 - the SDK's own
        config: Any = None,  # noqa: ANN401 - a dict, a path or paths, as the SDK takes
        validate_config: bool = True,
        parse_env_config: bool = False,
        **kwargs: Any,  # noqa: ANN401 - the SDK's own
    ) -> None:
        """Check settings ourselves, so a bad one is one actionable line (see cli.py).

        Numbers given as text (Meltano's ``kind: string``) are numbers before the SDK
        sees the config, and a whole config is checked first, so the SDK never warns
        "Config validation failed" about what the tap accepts, or before its own line.
        """
        if isinstance(config, dict):
            config = numbers_from_text(config, self.full_config_schema())
            if validate_config and not parse_env_config:
                check_settings(config, self.full_config_schema())
        super().__init__(
            *args,
            config=config,
            validate_config=False,
            parse_env_config=parse_env_config,
            **kwargs,
        )
        for name in SECRET_SETTINGS:
            REDACTOR.add(self.config.get(name))
        _tap_log_level()
        self._stop_on_signals()
        if validate_config:
            _ = self.services
            self._order_streams()

    def _stop_on_signals(self) -> None:
        # The SDK's handlers write STATE and exit 0, so an orchestrator that stops the
        # job records a success. These write the STATE of every completed window too,
        # then raise: cli.main exits 130 / 143 with one line.
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, self._interrupted)

    def _interrupted(self, signum: int, frame: FrameType | None) -> None:
        del frame
        # Safe mid-sync: the state only ever holds bookmarks of verified windows, and a
        # handler runs between two whole writes to stdout, never inside one.
        self.state_writer.flush(self.state)
        raise RunInterruptedError(signum)

    @property
    @override
    def state_writer(self) -> CoalescingStateWriter:  # type: ignore[override]
        # The streams' one way to STATE output: coalesced (see state_output).
        return self._coalescing_state_writer

    @cached_property
    def _coalescing_state_writer(self) -> CoalescingStateWriter:
        counter = self.message_writer
        if not isinstance(counter, CountingSingerWriter):  # pragma: no cover - class attribute
            msg = "the tap's message writer must count what it writes"
            raise TypeError(msg)
        interval = self.services.settings.state_interval_seconds
        return CoalescingStateWriter(
            super().state_writer, counter, interval, stamp=self._stamp_requests
        )

    def _stamp_requests(self, state: TapState) -> None:
        """Every STATE carries the last minute's requests: the next sync starts polite."""
        # The SDK's TapState types only "bookmarks"; the state is a plain dict.
        cast("dict[str, Any]", state)[REQUESTS_KEY] = self.services.pacer.recent()

    @override
    def load_state(self, state: dict[str, Any]) -> None:
        # The SDK keeps only ``bookmarks``; the last minute's requests are read here.
        super().load_state(state)
        self._previous_requests = state.get(REQUESTS_KEY)

    def _plan_runs(self, first: ReportStream) -> None:
        """Plan every selected report stream's runs, in sync order, before the first.

        ``first`` is the stream about to read its first run (it may be synced on its own).
        """
        scheduler, ledger = self.services.scheduler, self.services.ledger
        if scheduler.is_planned(first.name):
            return
        streams = [s for s in self.streams.values() if isinstance(s, ReportStream)]
        if not any(scheduler.is_planned(s.name) for s in streams):
            self._check_before_sync([s.name for s in streams])
        for stream in [s for s in streams if s.selected or s is first]:
            if not scheduler.is_planned(stream.name):
                scheduler.add(stream.name, stream.plan())
                for context in stream.partitions:
                    ledger.plan(stream.partition_of(context))

    def _check_before_sync(self, report_streams: list[str]) -> None:
        """Say once what concerns the whole sync.

        A start date in the future, and mailboxes the state knows that the default
        selection no longer has.
        """
        settings, directory = self.services.settings, self.services.directory
        # Every mailbox zone is within 14 h of UTC: past this, no mailbox has begun.
        latest_local = self.services.api_clock.now() + timedelta(hours=14)
        if settings.start > latest_local.replace(tzinfo=None):
            LOGGER.warning(
                "Setting start_date (%s) is after the API's now (%s): there is nothing "
                "to extract yet. Check the date.",
                format_local(settings.start),
                format_utc(self.services.api_clock.now()),
            )
        if settings.mailbox_ids is None:  # a configured list is checked up front instead
            listed = {m["mailboxId"]: m for m in directory.mailboxes()}
            known = last_verified(dict(self.state), report_streams)
            warn_absent(known, directory.selected_ids(None), listed)

    def _order_streams(self) -> None:
        """Report streams longest-waiting first (``priority``); the directory, the watermarks.

        The SDK syncs streams in the order of ``streams`` (by name): this puts them in
        the order the incoming state says, once, before the sync reads the dict. The
        directory streams go after the reports: their ACTIVATE_VERSION (which the SDK
        sends before their rows) then comes moments before the end of the input.
        """
        streams, settings = super().streams, self.services.settings
        reports = {
            name: (stream.kind.key, stream.kind.values(settings))
            for name, stream in streams.items()
            if isinstance(stream, ReportStream)
        }
        ordered = stream_order(reports, dict(self.state), format_local(settings.start))
        directory = [MailboxesStream.name, MailboxUsersStream.name, MailboxTagsStream.name]
        for name in [*ordered, *directory, WATERMARKS_STREAM]:
            if name in streams:
                streams[name] = streams.pop(name)

    def _end_sync(self) -> None:
        """One summary line for the whole sync; then exit 3 if partitions failed."""
        services = self.services
        stats = [(s.name, s.stats) for s in self.streams.values() if hasattr(s, "stats")]
        seconds = time.monotonic() - services.heartbeat.started
        LOGGER.info("%s", sync_summary(services.ledger, stats, seconds))
        services.ledger.report_deferrals(services.settings.time_budget_minutes)
        unconfirmed = services.scheduler.faults.unconfirmed()
        if unconfirmed is not None:  # a report's fault that nothing showed was the report's
            raise unconfirmed
        services.ledger.raise_if_failed()

    @classmethod
    @override
    def get_singer_command(cls) -> click.Command:
        command = super().get_singer_command()
        command.help = HELP
        return command

    @classmethod
    def full_config_schema(cls) -> dict[str, Any]:
        """Our settings plus the SDK's built-in ones (stream maps, flattening)."""
        schema = copy.deepcopy(cls.config_jsonschema)
        cls.append_builtin_config(schema)
        return schema

    @cached_property
    def services(self) -> TapServices:
        """Shared collaborators, built once from checked settings."""
        return build_services(
            check_settings(dict(self.config), self.full_config_schema()),
            str(self.config["api_key"]),
            mailboxes=self._mailboxes_stream.fetch,
            # Late-bound: the writer itself needs these services' settings.
            flush_state=lambda finished: self.state_writer.flush(finished=finished),
            previous_requests=getattr(self, "_previous_requests", None),
        )

    @cached_property
    def _mailboxes_stream(self) -> MailboxesStream:
        return MailboxesStream(self, lambda: self.services)

    @property
    @override
    def streams(self) -> dict[str, Stream]:
        # The SDK syncs streams in this order (by name); the watermarks go last, after
        # every report stream's data and the STATE that holds the same bookmarks.
        streams = super().streams
        if WATERMARKS_STREAM in streams and next(reversed(streams)) != WATERMARKS_STREAM:
            streams[WATERMARKS_STREAM] = streams.pop(WATERMARKS_STREAM)
        return streams

    @override
    def discover_streams(self) -> list[Stream]:
        def services() -> TapServices:
            return self.services

        streams: list[Stream] = [
            self._mailboxes_stream,
            MailboxUsersStream(self, services),
            MailboxTagsStream(self, services),
        ]
        streams.extend(
            ReportStream(self, d, services, self._plan_runs) for d in stream_definitions()
        )
        streams.append(
            FinalityWatermarksStream(self, lambda: self.services.watermarks, self._end_sync)
        )
        return streams
