"""What every stream of one tap run shares: settings, pacing, directory, clock, polling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tap_emailgistics.api_clock import ApiClock
    from tap_emailgistics.client import LinkGuard, RequestPacer
    from tap_emailgistics.directory import MailboxDirectory
    from tap_emailgistics.report_run import PollPolicy
    from tap_emailgistics.settings import Settings


@dataclass(frozen=True)
class TapServices:
    """Shared, per-run collaborators (built once by the tap, after settings checks)."""

    settings: Settings
    pacer: RequestPacer
    directory: MailboxDirectory
    guard: LinkGuard
    poll_policy: PollPolicy
    api_clock: ApiClock
