"""What every stream of one tap run shares: settings, pacing, host, directory, clock, runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from tap_emailgistics.engine.journal import RunJournal
    from tap_emailgistics.engine.scheduler import RunScheduler
    from tap_emailgistics.finality.api_clock import ApiClock
    from tap_emailgistics.finality.watermarks import WatermarkLog
    from tap_emailgistics.settings.parse import Settings
    from tap_emailgistics.sync.directory import MailboxDirectory
    from tap_emailgistics.sync.ledger import SyncLedger
    from tap_emailgistics.sync.progress import Heartbeat
    from tap_emailgistics.transport.host import ApiHost
    from tap_emailgistics.transport.pacing import RequestPacer
    from tap_emailgistics.values import PollPolicy


@dataclass(frozen=True)
class TapServices:
    """Shared, per-run collaborators (built once by the tap, after settings checks)."""

    settings: Settings
    pacer: RequestPacer
    directory: MailboxDirectory
    host: ApiHost
    poll_policy: PollPolicy
    api_clock: ApiClock
    scheduler: RunScheduler
    #: Write the latest state now; with True, also every later one (see ``state_output``).
    flush_state: Callable[[bool], None]
    #: Partitions verified in this sync, for the ``finality_watermarks`` stream.
    watermarks: WatermarkLog
    #: What became of each partition (verified, failed, deferred), for the sync's end.
    ledger: SyncLedger
    heartbeat: Heartbeat
    #: Runs created and not yet verified, outside the state (None: off or unusable).
    journal: RunJournal | None = None
