"""Which scope a repeated failure is charged to: one partition, a mailbox, a report, the account.

A report run's request that fails is tried again by its run (``engine.run``) within its
retry budget (8 tries over about 4 minutes), while the scheduler keeps every other run
moving. When the same failure comes back for many partitions it is not theirs, and a
retry budget spent on each would cost hours at 500 mailboxes. The evidence is every
request's outcome, by kind of request (creating a run, polling it, reading its pages)
and kind of failure (``HTTP 503``, ``ConnectionError (connection reset)``, a cut-off body):

- **mailbox**: a partition of mailbox M gave up after its retries with failure F on a
  kind of request; another partition of M whose request of that kind fails with F twice
  in a row gives up at once, without a budget of its own (exit 3, M named);
- **report**: requests of one kind for ``EVIDENCE_MAILBOXES`` different mailboxes of
  report R (every mailbox of R, if it has fewer; at least two) began failing with the
  same F after R's last answer to that kind of request, each has failed at least
  ``EVIDENCE_TRIES`` times, and the oldest for ``EVIDENCE_SECONDS``: R's remaining
  partitions are given up with one line and the other reports go on (exit 3);
- **account**: a second report is charged; or the sync ends with a charged report while
  no other report ever answered that kind of request, so nothing shows the fault is the
  report's: the sync stops as the API's failure (exit 2, STATE written, one line).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tap_emailgistics.durations import duration
from tap_emailgistics.errors import (
    ApiFailingError,
    MailboxFailingError,
    ReportFailingError,
    RequestFailedError,
    RunCreationUncertainError,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from tap_emailgistics.engine.tickets import Ticket
    from tap_emailgistics.values import Answer, RunRequest, Sender

#: How many mailboxes, how many tries each and how long make a report's fault.
EVIDENCE_MAILBOXES = 3
EVIDENCE_TRIES = 3
EVIDENCE_SECONDS = 60.0
#: Tries in a row before a failure is charged to a mailbox already seen failing so.
MAILBOX_TRIES = 2
_KINDS = {"create": "creating report runs", "poll": "polling runs", "page": "reading results"}


@dataclass
class Streak:
    """One run's request failing the same way, ``tries`` times in a row since ``since``."""

    report: str
    mailbox: str
    kind: str  # create | poll | page
    signature: str
    what: str
    since: float
    tries: int = 1

    def alike(self, other: Streak) -> bool:
        """The same failure of the same kind of request of the same report."""
        return (self.report, self.kind, self.signature) == (
            other.report,
            other.kind,
            other.signature,
        )


class FaultScopes:
    """Every request outcome of a sync, and the scopes charged with a fault so far."""

    def __init__(self, clock: Callable[[], float]) -> None:
        """``clock``: the scheduler's monotonic clock."""
        self.clock = clock
        self._streaks: dict[int, Streak] = {}  # by ticket
        self._last_answer: dict[tuple[str, str], float] = {}  # (report, kind) -> when
        self._answered: dict[str, set[str]] = {}  # kind -> reports that answered it
        self._mailboxes: dict[str, set[str]] = {}  # report -> its planned mailboxes
        self._dead: dict[tuple[str, str, str], str] = {}  # (mailbox, kind, signature)
        self.charged: dict[str, tuple[Streak, ReportFailingError]] = {}

    def plan(self, report: str, mailbox: str) -> None:
        """A partition of ``report`` for ``mailbox`` is in the plan."""
        self._mailboxes.setdefault(report, set()).add(mailbox)

    def watched(self, ticket: Ticket) -> Sender:
        """``ticket``'s sender, every outcome seen here; a fault charged wider raises its error."""

        def send(request: RunRequest, where: str | None = None, /) -> Answer:
            run, key = ticket.run, id(ticket)
            kind = "create" if request.method == "POST" else "page" if run.is_done else "poll"
            try:
                answer = ticket.send(request, where)
            except (RequestFailedError, RunCreationUncertainError) as failed:
                what = getattr(failed, "what", f"POST /api/v1/reports/{ticket.report}")
                streak = Streak(
                    ticket.report, ticket.partition[1], kind, failed.signature, what, self.clock()
                )
                charged = self.failed(key, streak)
                if charged is not None:
                    raise charged from None
                raise
            self.answered(key, ticket.report, kind)
            return answer

        return send

    def answered(self, key: int, report: str, kind: str) -> None:
        """A request of ``kind`` for ticket ``key`` was answered."""
        streak = self._streaks.get(key)
        if streak is not None and streak.kind == kind:
            del self._streaks[key]
        self._last_answer[(report, kind)] = self.clock()
        self._answered.setdefault(kind, set()).add(report)

    def failed(self, key: int, failure: Streak) -> MailboxFailingError | ReportFailingError | None:
        """Ticket ``key``'s request failed: the error of a wider scope charged with it, if any.

        Raises ``ApiFailingError`` when the evidence says the whole API is failing.
        """
        now, streak = failure.since, self._streaks.get(key)
        if streak is not None and streak.alike(failure) and streak.mailbox == failure.mailbox:
            streak.tries += 1
        else:
            streak = self._streaks[key] = failure
        report, mailbox, what, signature = (
            streak.report,
            streak.mailbox,
            streak.what,
            streak.signature,
        )
        if report in self.charged:
            return self.charged[report][1]
        dead = self._dead.get((mailbox, streak.kind, signature))
        if dead is not None and streak.tries >= MAILBOX_TRIES:
            return MailboxFailingError(
                f"{what}: {signature}, as when {dead} gave up after its retries: "
                f"mailbox {mailbox} is failing, not this report. The bookmark did not "
                "move: rerun later; if it keeps failing, ask Emailgistics about the mailbox."
            )
        return self._report_fault(streak, now)

    def gave_up(self, key: int, where: str) -> None:
        """Ticket ``key`` spent its retries (``where`` names its run)."""
        streak = self._streaks.pop(key, None)
        if streak is not None:
            self._dead.setdefault((streak.mailbox, streak.kind, streak.signature), where)

    def forget(self, key: int) -> None:
        """Ticket ``key`` sends nothing more."""
        self._streaks.pop(key, None)

    def _report_fault(self, streak: Streak, now: float) -> ReportFailingError | None:
        report = streak.report
        needed = min(EVIDENCE_MAILBOXES, len(self._mailboxes.get(report, ())))
        if needed < 2:  # noqa: PLR2004 - one mailbox cannot tell a report from itself
            return None
        after = self._last_answer.get((report, streak.kind), -math.inf)
        alike = [
            s
            for s in self._streaks.values()
            if s.alike(streak) and s.since > after and s.tries >= EVIDENCE_TRIES
        ]
        mailboxes = sorted({s.mailbox for s in alike})
        if len(mailboxes) < needed or now - min(s.since for s in alike) < EVIDENCE_SECONDS:
            return None
        lasted = duration(now - min(s.since for s in alike))
        error = ReportFailingError(
            f"Report {report}: {_KINDS[streak.kind]} kept failing for {len(mailboxes)} "
            f"mailboxes ({streak.what}: {streak.signature}, for {lasted}, "
            f"{', '.join(mailboxes)}): its partitions still to be read are given up in "
            "this sync; their bookmarks stay and their runs are kept for the next sync. "
            "Rerun later; if it keeps failing, check the API's status.",
            report,
        )
        self.charged[report] = (streak, error)
        if len(self.charged) > 1:
            failing = self._account_failing("Requests of two reports kept failing")
            raise failing
        return error

    def unconfirmed(self) -> ApiFailingError | None:
        """At the sync's end: a charged report, and no other report answered the same kind."""
        for streak, _ in self.charged.values():
            if not self._answered.get(streak.kind, set()) - set(self.charged):
                return self._account_failing(
                    "A report's requests kept failing and no other report answered them"
                )
        return None

    def _account_failing(self, lead: str) -> ApiFailingError:
        faults = "; ".join(
            f"{report}: {_KINDS[s.kind]}, {s.signature}" for report, (s, _) in self.charged.items()
        )
        return ApiFailingError(
            f"{lead} ({faults}): the API is failing "
            "for this account, not one mailbox or report. The sync stopped; the state of "
            "every verified window was written. Rerun later; if it keeps failing, check "
            "the API's status and this machine's network."
        )
