"""What became of each partition in a sync: verified, failed or deferred, and how it ends.

A partition that fails (``PartitionError``) costs only itself: the sync goes on, and
at its end the tap writes STATE and exits 3 with one line per failed partition (the
first ``SHOWN_FAILURES``, then a count) and one summary line. Partitions that failed
with one error (a report's fault: ``fault_scope``) are one line, however many. A
partition deferred by the time budget is no failure: the sync ends with exit 0 and says
what waits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tap_emailgistics.durations import duration
from tap_emailgistics.errors import PartitionsFailedError, ReportFailingError
from tap_emailgistics.finality.by_activity import ACTIVITY_TYPES

if TYPE_CHECKING:
    from tap_emailgistics.engine.tickets import PartitionKey
    from tap_emailgistics.errors import PartitionError

LOGGER = logging.getLogger("tap-emailgistics")
SHOWN_FAILURES = 10


def describe(partition: PartitionKey) -> str:
    """``mailbox_performance, mailbox af41…, period day`` (or ``…, activity replied``)."""
    stream, mailbox_id, value = partition
    label = "activity" if value in ACTIVITY_TYPES else "period"
    return f"{stream}, mailbox {mailbox_id}, {label} {value}"


@dataclass
class SyncLedger:
    """Every planned partition's fate in this sync."""

    _planned: set[PartitionKey] = field(default_factory=set)
    _verified: set[PartitionKey] = field(default_factory=set)
    failures: dict[PartitionKey, PartitionError] = field(default_factory=dict)
    #: Deferred partitions, and whether a run of theirs was parked in state.
    deferrals: dict[PartitionKey, bool] = field(default_factory=dict)

    def plan(self, partition: PartitionKey) -> None:
        """A partition the sync will read."""
        self._planned.add(partition)

    def verified(self, partition: PartitionKey) -> None:
        """Every window of the partition was verified."""
        self._verified.add(partition)

    def failed(self, partition: PartitionKey, failure: PartitionError) -> None:
        """The partition gave up; the sync goes on without it."""
        shared = any(known is failure for known in self.failures.values())
        self.failures[partition] = failure
        if isinstance(failure, ReportFailingError):  # said once, when it was charged
            return
        if not shared:
            LOGGER.warning(
                "%s failed, the other partitions go on: %s", describe(partition), failure
            )

    def deferred(self, partition: PartitionKey, *, parked: bool) -> None:
        """The time budget is spent: the partition waits for the next sync."""
        self.deferrals[partition] = parked
        LOGGER.debug("%s deferred to the next sync (run parked: %s)", describe(partition), parked)

    @property
    def planned(self) -> int:
        """Partitions in the plan."""
        return len(self._planned)

    @property
    def verified_count(self) -> int:
        """Partitions whose every window was verified."""
        return len(self._verified)

    @property
    def settled(self) -> int:
        """Partitions done with, one way or another."""
        return len(self._verified) + len(self.failures) + len(self.deferrals)

    def troubles(self) -> str:
        """``, 2 failed, 5 deferred`` (empty when there are none)."""
        parts = [f"{len(self.failures)} failed"] if self.failures else []
        if self.deferrals:
            parts.append(f"{len(self.deferrals)} deferred by the time budget")
        return "".join(f", {part}" for part in parts)

    def report_deferrals(self, budget_minutes: float | None) -> None:
        """One INFO line on what the time budget left for the next sync."""
        if not self.deferrals:
            return
        parked = sum(self.deferrals.values())
        LOGGER.info(
            "Time budget of %s spent: %d partitions wait for the next sync (%d with a "
            "run kept in state to be read then, %d not started); the next sync starts with "
            "the partitions that waited longest.",
            duration((budget_minutes or 0) * 60),
            len(self.deferrals),
            parked,
            len(self.deferrals) - parked,
        )

    def raise_if_failed(self) -> None:
        """End the sync with exit 3: one ERROR line per failed partition, then the error."""
        if not self.failures:
            return
        groups: dict[int, list[PartitionKey]] = {}
        for partition, failure in self.failures.items():
            groups.setdefault(id(failure), []).append(partition)
        for partitions in list(groups.values())[:SHOWN_FAILURES]:
            failure = self.failures[partitions[0]]
            what = (
                describe(partitions[0]) if len(partitions) == 1 else f"{len(partitions)} partitions"
            )
            LOGGER.error("Failed: %s: %s", what, failure)
        hidden = len(groups) - SHOWN_FAILURES
        if hidden > 0:
            LOGGER.error("... and %d more failed partitions (WARNING lines above)", hidden)
        msg = (
            f"{len(self.failures)} of {self.planned} partitions failed (listed above); "
            "every other partition was extracted and its bookmark saved. Rerun to retry "
            "them; one that keeps failing needs the fix its line names."
        )
        raise PartitionsFailedError(msg, list(self.failures.items()))
