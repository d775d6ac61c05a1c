"""How many report runs the tap lets itself run: the cap, lowered while the account is full.

The account's run slots (3) are shared with every other client and key. A report
POST answered 429 says they are taken, by the tap's own runs or someone else's. Then
the tap's *target* drops to the runs it has running (at least one), and no POST goes
out before ``Retry-After`` (without one: its own earliest run end, else the rate-limit
wait). Polls and pages go on meanwhile: only creations wait.

The target rises again only as the tap's own runs finish: by one after one finished
run at first; each time a raised target runs into a 429, it waits for twice as many
finishes (at most ``_MAX_PROBE_EVERY``), and each time it holds, half as many. So a
neighbour that keeps two slots busy costs the tap a 429 now and then, not one per run,
and when the neighbour leaves, the tap is back at the cap within a few runs. While the
account stays full, each further 429 in a row doubles the wait before the next POST (at
most ``_MAX_BACKOFF`` times the first), until a POST is answered with a run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

LOGGER = logging.getLogger("tap-emailgistics")
_MAX_PROBE_EVERY = 16
_MAX_BACKOFF = 8


@dataclass
class SlotTarget:
    """The most runs the tap may have running now, and when its next POST may go."""

    cap: int
    #: Seconds to wait after a 429 that says nothing better (``rate_limit_wait_seconds``).
    fallback_wait: float = 60.0
    target: int = 0
    not_before: float = 0.0  # monotonic; no POST before this
    refusals: int = 0
    _probe_every: int = 1
    _finished_since: int = 0
    _probing: bool = False  # the target was raised and has not been reached yet
    _in_a_row: int = 0  # POSTs answered 429 since the last one answered with a run

    def __post_init__(self) -> None:
        """Start at the cap."""
        self.target = self.target or self.cap

    def may_create(self, running: int, now: float) -> bool:
        """Whether a POST may go out now, with ``running`` runs of the tap's holding slots."""
        return now >= self.not_before and running < self.target

    def refused(self, running: int, now: float, wait: float | None) -> None:
        """A POST was answered 429 while ``running`` of the tap's runs held slots.

        ``wait``: the answer's ``Retry-After``, or the tap's own earliest run end, in
        seconds from now; None when there is neither.
        """
        self.refusals += 1
        if self.refusals == 1:
            LOGGER.info(
                "A report POST was answered 429: the account's run slots (or its requests "
                "per minute) are taken, probably by another client of the account. The tap "
                "runs at most %d at once until its own runs finish (more 429s: DEBUG).",
                max(1, running),
            )
        if self._probing:  # a raised target ran into a full account: raise it less often
            self._probe_every = min(_MAX_PROBE_EVERY, self._probe_every * 2)
        self._probing = False
        self.target = max(1, running)
        self._finished_since = 0
        backoff = min(_MAX_BACKOFF, 2**self._in_a_row)
        self._in_a_row += 1
        self.not_before = now + (self.fallback_wait if wait is None else wait) * backoff

    def run_finished(self) -> None:
        """One of the tap's runs finished: its slot is free, and the target may rise."""
        self.not_before = 0.0  # that slot is the tap's to take
        if self.target >= self.cap:
            return
        self._finished_since += 1
        if self._finished_since >= self._probe_every:
            self.target, self._finished_since, self._probing = self.target + 1, 0, True

    def created(self, running: int) -> None:
        """A POST was answered with a run, ``running`` of the tap's now holding slots."""
        self._in_a_row = 0
        if self._probing and running >= self.target:  # the raised target held
            self._probing = False
            self._probe_every = max(1, self._probe_every // 2)
