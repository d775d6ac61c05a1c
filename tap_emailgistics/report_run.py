"""The whole life of one report run: create, poll, page, verify, or re-create, or give up.

A window of a partition is one *report run*. ``ReportRun.pages`` drives it and yields
its pages; its return value is the ``VerifiedRun`` the stream's bookmark is built on.

    created ──► running ──► done ──► paged ──► verified
       │           │          │         │
       └───────────┴──────────┴─────────┴──► error / expired / lost POST / incomplete
                                               └─► re-created (counted) or given up

Every answer (the POST's, each poll's, each page's) is read strictly (``envelope``)
and recorded. A run is *verified* only when the engine has seen a ``done`` answer,
followed ``_links.next`` to a page without one, counted as many rows as any ``total``
said, and read the cutoff from the ``done`` answer (or seen that it carries none).
An unknown status, a missing field or a surprising shape stops the run with one line.

Re-creating a run is decided here, never by the transport: a run that ended in
``error`` or whose POST failed (which may have queued a run anyway) is re-created up
to ``run_error_retries`` times; an expired result (404) up to 3; a result whose rows
disagree with its ``total`` once. A re-created run re-sends the tap's own request
(the documented ``_links.origin.href`` carries no query string, so it would lose the
field groups); its rows are re-emitted under the same keys, which upserts absorb.

Each attempt's requests come from a ``RunPaginator``, the SDK paginator that is the
run's face: poll ``_links.self`` (waiting per ``PollPolicy``) until done, then follow
``_links.next``. The SDK's own request loop is not used for runs because it stops on
an empty page without showing it to the paginator: a quiet window's cutoff was never
read, and a day of data was lost.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from singer_sdk.pagination import BaseAPIPaginator

from tap_emailgistics.envelope import Envelope, EnvelopeError, read_envelope
from tap_emailgistics.errors import (
    IncompleteResultError,
    MalformedAnswerError,
    ResultExpiredError,
    RunCreationUncertainError,
    RunDeadlineError,
    RunGaveUpError,
    TransportGaveUpError,
)
from tap_emailgistics.progress import time_left
from tap_emailgistics.run_types import (
    Answer,
    Page,
    PollPolicy,
    RunRequest,
    RunState,
    VerifiedRun,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from datetime import datetime

    import requests

LOGGER = logging.getLogger("tap-emailgistics")
_EXPIRY_RETRIES = 3
_INCOMPLETE_RETRIES = 1


class RestartRunError(Exception):
    """An attempt ended in a way that re-creating the run can fix."""

    def __init__(self, reason: str, budget: str) -> None:
        """``budget``: which re-creation allowance this spends."""
        super().__init__(reason)
        self.budget = budget


@dataclass
class _Attempt:
    """What one attempt at the run has seen so far."""

    number: int
    state: RunState = RunState.CREATED
    envelope: Envelope | None = None
    cutoff: str | None = None
    api_now: datetime | None = None
    rows: int = 0
    totals: set[int] = field(default_factory=set)


class ReportRun:
    """One window's report run, from its POST to a verified result."""

    def __init__(  # noqa: PLR0913 - the run's collaborators, injected for tests
        self,
        create: RunRequest,
        where: str,
        *,
        policy: PollPolicy,
        error_retries: int,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``where`` names report, mailbox, period and window in every message."""
        self.create, self.where, self.policy = create, where, policy
        self.sleep, self.clock = sleep, clock
        self.budgets = {"error": error_retries, "expiry": _EXPIRY_RETRIES}
        self.budgets["incomplete"] = _INCOMPLETE_RETRIES
        self.spent = dict.fromkeys(self.budgets, 0)
        self.attempt = _Attempt(0)

    def pages(self, send: Callable[[RunRequest], Answer]) -> Generator[Page, None, VerifiedRun]:
        """Drive the run to a verified result, yielding each ``done`` page."""
        while True:
            try:
                yield from self._attempt_pages(send)
                return self._verify()
            except RestartRunError as restart:
                self._restart(restart)

    def _attempt_pages(self, send: Callable[[RunRequest], Answer]) -> Generator[Page, None, None]:
        paginator = RunPaginator(self, self.create)
        while not paginator.finished:
            request = paginator.current_value
            try:
                answer = send(request)
            except RunCreationUncertainError as lost:
                raise RestartRunError(str(lost), "error") from lost
            except ResultExpiredError as expired:
                raise RestartRunError(str(expired), "expiry") from expired
            except TransportGaveUpError as gave_up:
                raise gave_up.at(self.where) from None
            except MalformedAnswerError as unreadable:  # e.g. HTML: name the window too
                raise self.malformed(str(unreadable).rstrip(".")) from None
            envelope = self._read(answer)
            attempt = self.attempt
            if envelope.status == "done" and attempt.api_now is not None:
                yield Page(envelope.rows, attempt.number, attempt.cutoff, attempt.api_now)
            paginator.advance(answer.response)
        self.attempt.state = RunState.PAGED

    def _read(self, answer: Answer) -> Envelope:
        """Check and record one answer; the state machine's transitions live here."""
        attempt = self.attempt
        try:
            envelope = read_envelope(answer.body)
        except EnvelopeError as error:
            raise self.malformed(str(error)) from None
        if envelope.status == "error":
            msg = f"Report run failed: {envelope.error}"
            raise RestartRunError(msg, "error")
        if envelope.status == "running" and attempt.state is RunState.DONE:
            msg = "a run that was done answers 'running' again"
            raise self.malformed(msg)
        if envelope.status == "done":
            self._record_done(envelope, answer.api_now)
        else:
            attempt.state = RunState.RUNNING
        attempt.envelope = envelope
        return envelope

    def _record_done(self, envelope: Envelope, api_now: datetime) -> None:
        attempt = self.attempt
        if attempt.state is not RunState.DONE:  # the done answer: the run's own facts
            attempt.state, attempt.cutoff, attempt.api_now = RunState.DONE, envelope.cutoff, api_now
        elif envelope.cutoff is not None and envelope.cutoff != attempt.cutoff:
            msg = f"pages disagree on dataCutoffTimestamp ({attempt.cutoff} vs {envelope.cutoff})"
            raise self.malformed(msg)
        attempt.rows += len(envelope.rows)
        if envelope.total is not None:
            attempt.totals.add(envelope.total)

    def _verify(self) -> VerifiedRun:
        attempt = self.attempt
        if attempt.state is not RunState.PAGED or attempt.api_now is None:  # pragma: no cover
            msg = "the run ended before its last page was read"
            raise self.malformed(msg)
        if attempt.totals and attempt.totals != {attempt.rows}:
            totals = ", ".join(str(t) for t in sorted(attempt.totals))
            reason = f"The result has {attempt.rows} rows but a total of {totals}"
            raise RestartRunError(reason, "incomplete")
        attempt.state = RunState.VERIFIED
        return VerifiedRun(attempt.cutoff, attempt.api_now, attempt.rows, attempt.number + 1)

    def _restart(self, restart: RestartRunError) -> None:
        budget = restart.budget
        self.spent[budget] += 1
        if self.spent[budget] > self.budgets[budget]:
            raise self._gave_up(restart)
        LOGGER.warning(
            "%s (%s); re-creating the run (%d of %d)",
            restart,
            self.where,
            self.spent[budget],
            self.budgets[budget],
        )
        if budget == "error":  # server trouble: wait as before a poll, then re-create
            self.sleep(self.policy.wait(self.spent[budget] - 1, random.Random()))  # noqa: S311
        self.attempt = _Attempt(self.attempt.number + 1)

    def _gave_up(self, restart: RestartRunError) -> Exception:
        attempts = self.attempt.number + 1
        text = f"{restart} ({self.where}; {attempts} attempts). The bookmark did not move"
        if restart.budget == "incomplete":
            return IncompleteResultError(f"{text}: rerun later.")
        return RunGaveUpError(f"{text}: rerun later, or raise run_error_retries.")

    def malformed(self, problem: str) -> MalformedAnswerError:
        """The one-line error for an answer the engine cannot trust."""
        return MalformedAnswerError(
            f"Unexpected answer from the API: {problem} ({self.where}). The bookmark did "
            "not move; the tap stops rather than guess."
        )


class RunPaginator(BaseAPIPaginator[RunRequest]):
    """One attempt's requests: poll ``_links.self`` until done, then follow ``_links.next``."""

    def __init__(self, run: ReportRun, start: RunRequest) -> None:
        """Start with the run's POST."""
        super().__init__(start)
        self.run = run
        self.started = run.clock()
        self.rng = random.Random()  # noqa: S311 - jitter, not cryptography
        self._polls = 0

    def get_next(self, response: requests.Response) -> RunRequest | None:  # noqa: ARG002
        """The next poll while running; the next page once done; None after the last.

        The run has already read and checked ``response`` (``ReportRun._read``).
        """
        envelope = self.run.attempt.envelope
        if envelope is None or envelope.self_href is None:  # pragma: no cover - read first
            return None
        if envelope.status == "running":
            return self._poll(envelope.self_href, envelope.progress)
        return RunRequest("GET", envelope.next_href) if envelope.next_href else None

    def _poll(self, href: str, progress: int | None) -> RunRequest:
        policy, elapsed = self.run.policy, self.run.clock() - self.started
        if elapsed > policy.deadline_seconds:
            msg = (
                f"A report run was still running after {elapsed / 60:.1f} minutes "
                f"(progress {progress}%; {self.run.where}): raise run_deadline_minutes, "
                "or request smaller windows with window_days."
            )
            raise RunDeadlineError(msg)
        wait = policy.wait(self._polls, self.rng)
        wait = min(wait, max(0.0, policy.deadline_seconds - elapsed) + 1.0)
        LOGGER.info(
            "Report run at %s%%, %s (%s); next poll in %.1f s",
            progress,
            time_left(progress, elapsed),
            self.run.where,
            wait,
        )
        self.run.sleep(wait)
        self._polls += 1
        return RunRequest("GET", href, sequence=self._polls)
