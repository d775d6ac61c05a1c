"""The whole life of one report run: create, poll, page, verify, or re-create, or give up.

A window of a partition is one *report run*. The scheduler (``scheduler``) starts and
polls runs, several at once, by calling ``ReportRun.step`` when ``due_at`` comes; the
stream that owns the run then reads it with ``ReportRun.pages``, whose return value is
the ``VerifiedRun`` the stream's bookmark is built on.

    created ──► running ──► done ──► paged ──► verified
       │           │          │         │
       └───────────┴──────────┴─────────┴──► error / expired / lost POST / incomplete
                                               └─► re-created (counted) or given up

Every answer (the POST's, each poll's, each page's) is read strictly (``envelope``)
and recorded. A run is *verified* only when the engine has seen a ``done`` answer,
followed ``_links.next`` to a page without one, counted as many rows as any ``total``
said, and read the cutoff from the ``done`` answer (or seen that it carries none).
An unknown status, a missing field or a surprising shape stops the run with one line.

Re-creating a run is decided here, never by the transport (``recreation``); it re-sends
the tap's own request (``_links.origin.href`` carries no query string). Re-read rows are
re-emitted under the same keys, which upserts absorb. A failure of this run alone is a
``PartitionError``: the other partitions go on. A POST answered 429 is no attempt.

Each attempt's requests come from a ``RunPaginator`` (what to send next). The SDK's own
request loop is not used for runs: it stops on an empty page without showing it to the
paginator, so a quiet window's cutoff was never read, and a day of data was lost.
"""

from __future__ import annotations

import logging
import random
import time
from http import HTTPStatus
from typing import TYPE_CHECKING

from tap_emailgistics.durations import duration, time_left
from tap_emailgistics.engine.attempt import Attempt
from tap_emailgistics.engine.envelope import Envelope, EnvelopeError, read_envelope
from tap_emailgistics.engine.paginator import RunPaginator
from tap_emailgistics.engine.recreation import Recreations, RestartRunError
from tap_emailgistics.engine.request_retries import RequestRetries
from tap_emailgistics.errors import (
    ApiAccessError,
    MailboxRefusedError,
    MalformedAnswerError,
    RequestFailedError,
    ResultExpiredError,
    RunCreationUncertainError,
    RunDeadlineError,
    RunMalformedError,
    RunSlotsTakenError,
    TransportGaveUpError,
)
from tap_emailgistics.values import (
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

    from tap_emailgistics.values import Sender

__all__ = ["ReportRun", "RestartRunError"]
LOGGER = logging.getLogger("tap-emailgistics")


class ReportRun:
    """One window's report run, from its POST (or a resumed result) to a verified result."""

    def __init__(  # noqa: PLR0913 - the run's collaborators, injected for tests
        self,
        create: RunRequest,
        where: str,
        *,
        policy: PollPolicy,
        error_retries: int,
        resume_href: str | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """``where`` names report, mailbox, period and window in every message.

        ``resume_href``: the results link of a run created by an earlier tap run
        (read from state); the first attempt reads it instead of POSTing.
        """
        self.create, self.where, self.policy = create, where, policy
        self.clock = clock or time.monotonic  # looked up now: tests may replace it
        self.error_retries = error_retries
        self.recreations = Recreations(error_retries, policy, self.clock)
        #: The current request's failed tries: it waits for its next (``due_at``).
        self.retries = RequestRetries(self.clock)
        self.rng = random.Random()  # noqa: S311 - jitter, not cryptography
        first = RunRequest("GET", resume_href) if resume_href else create
        self.attempt = Attempt(0, RunPaginator(self._last_answer, first))
        self.resumed = resume_href is not None
        #: When the next request may be sent (monotonic); polls wait, the rest go at once.
        self.due_at = 0.0
        #: When this run's POSTs failed in a way that may have queued a run anyway:
        #: such orphans may be running, so they hold a slot for a while (``scheduler``).
        self.orphaned_at: list[float] = []
        #: The results link of the current attempt, once its first answer was read.
        self.results_href: str | None = None
        #: The page of the ``done`` answer, read by whoever noticed it, kept for ``pages``.
        self.ready_page: Page | None = None
        #: How long runs of this sync took at the least (set by the scheduler), and how
        #: long this one will take by its last progress (a whole percent rounded down
        #: makes it err long, never short).
        self.expected_seconds: float | None = None
        self.projected_seconds: float | None = None

    @property
    def is_running(self) -> bool:
        """Its POST was answered and no ``done`` answer has been seen: it holds a slot."""
        return self.attempt.state is RunState.RUNNING

    @property
    def is_done(self) -> bool:
        """A ``done`` answer has been read (its page waits in ``ready_page``)."""
        return self.attempt.state in {RunState.DONE, RunState.PAGED, RunState.VERIFIED}

    @property
    def is_paged(self) -> bool:
        """The last page (no next link) was read."""
        return self.attempt.state in {RunState.PAGED, RunState.VERIFIED}

    @property
    def next_creates(self) -> bool:
        """Its next request creates a run (a POST), as opposed to reading one."""
        attempt = self.attempt
        return attempt.started is None and attempt.paginator.current_value.method == "POST"

    def step(self, send: Sender) -> None:
        """Send the attempt's next request (POST, poll or page) and read its answer.

        A try that failed in a way a later one may not is tried again when ``due_at``
        comes (``RequestRetries``), or, its tries spent, ends the partition.
        """
        attempt = self.attempt
        if attempt.started is None:
            attempt.started = self.clock()
        try:
            answer = self._send(send, attempt.paginator.current_value)
        except RunSlotsTakenError:
            attempt.started = None  # nothing was queued: the attempt has not begun
            raise
        except RequestFailedError as failed:
            self.due_at = self.clock() + self.retries.failed(failed, self.where)
            return
        self.retries.answered()
        if attempt.paginator.current_value.method == "POST":
            self.recreations.created()
        envelope = self._read(answer)
        if self.results_href is None:
            self.results_href = envelope.self_href
        if envelope.status == "done" and attempt.api_now is not None:
            self.ready_page = Page(envelope.rows, attempt.number, attempt.cutoff, attempt.api_now)
        attempt.paginator.advance(answer.response)
        if envelope.status == "running":
            self._schedule_poll(envelope.progress)
        elif attempt.paginator.finished:
            attempt.state = RunState.PAGED

    def pages(self, until_ready: Callable[[ReportRun], None]) -> Generator[Page, None, VerifiedRun]:
        """Yield each page of the run's result, then return its verified facts.

        ``until_ready`` is the scheduler's: it sends this run's requests (polls, then
        pages) as they fall due, and every other run's meanwhile, and returns once a
        page is ready or the last one was read.
        """
        while True:
            try:
                until_ready(self)
                if self.ready_page is not None:
                    page, self.ready_page = self.ready_page, None
                    yield page
                elif self.is_paged:
                    return self._verify()
            except RestartRunError as restart:
                self.restart(restart)

    def _last_answer(self) -> Envelope | None:
        return self.attempt.envelope

    def release(self) -> None:
        """Forget the last answer's rows: the plan keeps every run until the sync ends."""
        self.attempt.envelope, self.ready_page = None, None

    def _send(self, send: Sender, request: RunRequest) -> Answer:
        try:
            return send(request, self.where)
        except RunCreationUncertainError as lost:
            raise RestartRunError(str(lost), "post", orphan=True) from lost
        except ResultExpiredError as expired:
            raise RestartRunError(str(expired), self._first_or("expiry")) from expired
        except TransportGaveUpError as gave_up:
            raise gave_up.at(self.where) from None
        except MalformedAnswerError as unreadable:  # e.g. HTML: name the window too
            raise self.malformed(str(unreadable).rstrip(".")) from None
        except ApiAccessError as refused:
            if refused.status == HTTPStatus.NOT_FOUND and request.method == "POST":
                raise MailboxRefusedError(str(refused), refused.status) from None
            raise

    def _first_or(self, budget: str) -> str:
        """``gone`` for the first read of a run resumed from state, else ``budget``."""
        return "gone" if self.resumed and self.attempt.number == 0 else budget

    def _schedule_poll(self, progress: int | None) -> None:
        attempt, policy = self.attempt, self.policy
        started = attempt.started if attempt.started is not None else self.clock()
        elapsed = self.clock() - started
        if elapsed > policy.deadline_seconds:
            msg = (
                f"A report run was still running after {duration(elapsed)} (progress "
                f"{progress}%; {self.where}): raise run_deadline_minutes, or lower "
                "rows_per_run for smaller windows."
            )
            raise RunDeadlineError(msg)
        if progress is not None and 0 < progress < 100:  # noqa: PLR2004
            self.projected_seconds = elapsed * 100 / progress
        polls_made = attempt.paginator.polls - 1  # the paginator has counted the next one
        wait = policy.wait_for(progress, elapsed, polls_made, self.rng, self.expected_seconds)
        wait = min(wait, max(0.0, policy.deadline_seconds - elapsed) + 1.0)
        LOGGER.debug(
            "Report run at %s%%, %s (%s); next poll in %.1f s",
            progress,
            time_left(progress, elapsed),
            self.where,
            wait,
        )
        self.due_at = self.clock() + wait

    def _read(self, answer: Answer) -> Envelope:
        """Check and record one answer; the state machine's transitions live here."""
        attempt = self.attempt
        try:
            envelope = read_envelope(answer.body)
        except EnvelopeError as error:
            raise self.malformed(str(error)) from None
        if envelope.status == "error":
            msg = f"Report run failed: {envelope.error}"
            raise RestartRunError(msg, self._first_or("error"))
        if envelope.status == "running" and self.is_done:
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
        if not self.is_done:  # the done answer: the run's own facts
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

    def restart(self, restart: RestartRunError) -> None:
        """Start a new attempt (re-sending the tap's POST), or give up with one line."""
        wait = self.recreations.admit(restart, self.where, self.rng)
        if restart.orphan:
            self.orphaned_at.append(self.clock())
        self._new_attempt(wait)

    def retarget(self, create: RunRequest, where: str) -> None:
        """Create the run again for another (smaller) window; the late one keeps its slot."""
        self.orphaned_at.append(self.clock())  # it still runs, unseen: hold its slot
        self.create, self.where, self.resumed = create, where, False
        self.recreations = Recreations(self.error_retries, self.policy, self.clock)
        self._new_attempt(0.0)

    def _new_attempt(self, wait: float) -> None:
        self.due_at = self.clock() + wait
        self.attempt = Attempt(
            self.attempt.number + 1, RunPaginator(self._last_answer, self.create)
        )
        self.retries = RequestRetries(self.clock)
        self.results_href, self.ready_page = None, None
        self.projected_seconds = None

    def malformed(self, problem: str) -> RunMalformedError:
        """The one-line error for an answer the engine cannot trust."""
        return RunMalformedError(
            f"Unexpected answer from the API: {problem} ({self.where}). The bookmark did "
            "not move; this partition stops rather than guess."
        )
