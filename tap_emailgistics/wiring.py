"""The shared services of one tap run, built once from checked settings (``TapServices``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from tap_emailgistics.engine.budget import TimeBudget
from tap_emailgistics.engine.journal import journal_folder, open_journal
from tap_emailgistics.engine.scheduler import RunScheduler
from tap_emailgistics.finality.api_clock import ApiClock
from tap_emailgistics.finality.watermarks import WatermarkLog
from tap_emailgistics.sync.directory import MailboxDirectory
from tap_emailgistics.sync.ledger import SyncLedger
from tap_emailgistics.sync.progress import Heartbeat
from tap_emailgistics.sync.services import TapServices
from tap_emailgistics.transport.host import ApiHost
from tap_emailgistics.transport.pacing import RequestPacer
from tap_emailgistics.values import PollPolicy

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from tap_emailgistics.settings.parse import Settings


def build_services(
    settings: Settings,
    api_key: str,
    *,
    mailboxes: Callable[[], Iterable[dict[str, Any]]],
    flush_state: Callable[[bool], None],
    previous_requests: object,
) -> TapServices:
    """Every collaborator the streams share.

    ``mailboxes`` fetches the directory; ``flush_state`` writes the latest state;
    ``previous_requests``: the last minute's requests the incoming state recorded.
    """
    budget = settings.time_budget_minutes
    scheduler = RunScheduler(
        settings.max_concurrent_runs,
        orphan_hold=settings.poll_max_seconds,
        budget=TimeBudget(None if budget is None else budget * 60),
        fallback_wait=settings.rate_limit_wait_seconds,
    )
    ledger = SyncLedger()
    heartbeat = Heartbeat(ledger, lambda: scheduler.in_flight)
    scheduler.on_wait = heartbeat.beat
    pacer = RequestPacer(
        settings.requests_per_minute, fallback_wait=settings.rate_limit_wait_seconds
    )
    pacer.preload(previous_requests)
    folder = journal_folder(settings.run_journal_dir, os.environ)
    journal = open_journal(folder, settings.base_url, api_key) if settings.run_journal else None
    return TapServices(
        settings=settings,
        pacer=pacer,
        directory=MailboxDirectory(mailboxes),
        host=ApiHost(settings.base_url),
        poll_policy=PollPolicy(
            initial_seconds=settings.poll_initial_seconds,
            max_seconds=settings.poll_max_seconds,
            jitter=settings.poll_jitter,
            deadline_seconds=settings.run_deadline_minutes * 60,
        ),
        api_clock=ApiClock(),
        scheduler=scheduler,
        flush_state=flush_state,
        watermarks=WatermarkLog(),
        ledger=ledger,
        heartbeat=heartbeat,
        journal=journal,
    )
