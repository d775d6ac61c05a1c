"""Errors the tap reports as one actionable line, and the exit code of each (``cli.main``).

Exit codes: 0 success (a time budget that deferred partitions included); 1 a person
must change something (a setting, the key, the state, the network path to the API); 2
the API could not deliver complete data this time: the bookmark kept every verified
window, and rerunning later is the fix (an orchestrator may retry automatically); 3 some
partitions failed, every other one was extracted and bookmarked; 130 / 143 interrupted
by SIGINT / SIGTERM.

Two scopes. Most failures concern the whole account (the key refused, the host
unreachable, bad settings or state) and stop the sync at once. A ``PartitionError``
concerns one partition (a report stream's mailbox and period) only: the sync goes on
with every other partition and ends with exit 3, naming it.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import TYPE_CHECKING, ClassVar

from singer_sdk.exceptions import FatalAPIError

from tap_emailgistics.durations import duration

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EXIT_NEEDS_A_PERSON = 1
EXIT_INCOMPLETE_DATA = 2
EXIT_PARTITIONS_FAILED = 3


class EmailgisticsError(Exception):
    """Base of every error the tap explains in one line and exits non-zero on."""

    exit_code: ClassVar[int] = EXIT_NEEDS_A_PERSON


class SettingsError(EmailgisticsError):
    """A setting is missing, malformed or inconsistent (checked before any HTTP call)."""


class InputFileError(EmailgisticsError):
    """A file named on the command line (config, state, catalog) is missing or not JSON."""


class StateError(EmailgisticsError):
    """The incoming state cannot be right (e.g. a bookmark after the API's now)."""


class ApiUnreachableError(EmailgisticsError, FatalAPIError):
    """The API's host never answered: a wrong base_url, or the sandbox not started."""


class PartitionError(EmailgisticsError):
    """A failure of one partition only: the others are extracted, the sync ends with exit 3.

    Its bookmark stays at its last verified window. ``keeps_run``: the run's record in
    state (``runs_in_flight``) may still be read by the next sync (a run that was merely
    slow, or whose answers could not be fetched); otherwise the record is dropped and
    the next sync creates the run afresh.
    """

    keeps_run: ClassVar[bool] = False


class ApiAccessError(EmailgisticsError, FatalAPIError):
    """The API refused the request for a reason retrying cannot fix (400/401/403/404)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """``status``: the HTTP status of the refusal."""
        super().__init__(message)
        self.status = status


class ScopeRefusedError(ApiAccessError, PartitionError):
    """A report POST answered 403: the key lacks a scope that report alone needs."""


class MailboxRefusedError(ApiAccessError, PartitionError):
    """A report POST answered 404: the mailbox left the key's allowlist, or no longer exists."""


class ForeignLinkError(EmailgisticsError, FatalAPIError):
    """The API sent a link to another host or scheme; the key is never sent there."""


class MalformedAnswerError(EmailgisticsError, FatalAPIError):
    """An answer the tap cannot read as the documented envelope: it stops, never guesses."""


class RunMalformedError(MalformedAnswerError, PartitionError):
    """An answer of one report run that cannot be trusted: that partition stops, never guesses."""


class IncompleteDataError(EmailgisticsError, FatalAPIError):
    """The API could not deliver complete data this time; rerunning later is the fix."""

    exit_code: ClassVar[int] = EXIT_INCOMPLETE_DATA


class ResultExpiredError(IncompleteDataError):
    """A result page answered 404: results expire 24 hours after their run started."""


class RunDeadlineError(IncompleteDataError, PartitionError):
    """A report run of one period kept running past the configured deadline."""

    keeps_run: ClassVar[bool] = True  # it may still finish: the next sync reads it


class IncompleteResultError(IncompleteDataError, PartitionError):
    """A result's rows disagree with its ``total``, even after re-reading it."""


class RunGaveUpError(IncompleteDataError, PartitionError):
    """A window's run could not be completed within its re-creation budget."""


class TransportGaveUpError(IncompleteDataError):
    """A request kept failing (5xx, resets, cut-off bodies) until its tries ran out."""

    def __init__(
        self, what: str, tries: int, seconds: float, last: str, where: str | None = None
    ) -> None:
        """``what``: e.g. ``GET /api/v1/reports/results/abc``; ``last``: its last failure."""
        self.what, self.tries, self.seconds, self.last = what, tries, seconds, last
        place = f" ({where})" if where else ""
        super().__init__(
            f"{what} failed {tries} times over {duration(seconds)}{place}; last: {last}. The "
            "bookmark did not move: rerun later; if it keeps failing, check the API's "
            "status and this machine's network."
        )

    def at(self, where: str) -> RunTransportGaveUpError:
        """The same failure of one run's request, naming its report, mailbox, period, window."""
        return RunTransportGaveUpError(self.what, self.tries, self.seconds, self.last, where)


class RunTransportGaveUpError(TransportGaveUpError, PartitionError):
    """A request of one report run kept failing while the API answered others."""

    keeps_run: ClassVar[bool] = True  # the run itself may be fine


class ApiFailingError(IncompleteDataError):
    """The same failure kept coming back across reports (or before any answer): the API's trouble.

    See ``engine.fault_scope`` for the evidence it takes.
    """


class MailboxFailingError(PartitionError):
    """A partition failed the way another partition of the same mailbox gave up on.

    Charged to the mailbox at its first failure, without a retry budget of its own.
    """

    keeps_run: ClassVar[bool] = True  # the run itself may be fine


class ReportFailingError(PartitionError):
    """One report's requests kept failing the same way for several mailboxes.

    Every partition of that report still to be read is given up with this one error
    (one line, however many partitions); the other reports go on.
    """

    keeps_run: ClassVar[bool] = True  # the runs themselves may be fine

    def __init__(self, message: str, report: str) -> None:
        """``report``: the API's report name (e.g. ``mailboxDomainPerformance``)."""
        super().__init__(message)
        self.report = report


class RequestFailedError(EmailgisticsError):
    """One try of a run's GET failed in a way a later try may not (5xx, 429, reset, cut-off).

    Raised by the transport's one-try send; when to try again, and when to give up, is
    the run engine's decision, so that waiting for one request never stalls the others.
    """

    def __init__(  # noqa: PLR0913 - what the engine needs to retry it and to say why
        self,
        what: str,
        last: str,
        signature: str,
        wait_for: Callable[[int], float],
        *,
        max_tries: int,
        rate_limited: bool = False,
    ) -> None:
        """``what``: ``GET /path``; ``last``: the failure in a few words.

        ``signature``: the failure's kind (``HTTP 503``, ``ConnectionError (connection
        reset)``), to tell repeated failures apart; ``wait_for(n)``: the wait before try
        ``n + 1`` after ``n`` failed; ``max_tries``: when to give up.
        """
        super().__init__(f"{what}: {last}")
        self.what, self.last, self.signature = what, last, signature
        self.wait_for, self.max_tries, self.rate_limited = wait_for, max_tries, rate_limited


class PartitionsFailedError(EmailgisticsError):
    """Some partitions failed; every other one was extracted and its bookmark saved."""

    exit_code: ClassVar[int] = EXIT_PARTITIONS_FAILED

    def __init__(
        self, message: str, failures: list[tuple[tuple[str, str, str], Exception]]
    ) -> None:
        """``failures``: each failed (stream, mailboxId, period) and why."""
        super().__init__(message)
        self.failures = failures


class RunSlotsTakenError(EmailgisticsError):
    """A report POST answered 429: the account's run slots are taken, perhaps by another client.

    Nothing was queued. Never repeated by the transport: the scheduler waits
    ``retry_after`` seconds (None: the API sent none) and lowers its own concurrency.
    """

    def __init__(self, message: str, retry_after: float | None) -> None:
        """``retry_after``: the answer's ``Retry-After``, in seconds."""
        super().__init__(message)
        self.retry_after = retry_after


class PartitionDeferredError(Exception):
    """The time budget is spent: this partition waits for the next sync (not an error)."""

    def __init__(self, *, parked: bool) -> None:
        """``parked``: its run was created and is kept in state, to be read next time."""
        super().__init__("deferred by the time budget")
        self.parked = parked


class RunCreationUncertainError(EmailgisticsError):
    """A report POST failed in a way that may still have queued a run (5xx, reset, cut-off).

    Never retried by the transport: re-creating a run is the run engine's decision.
    """

    def __init__(self, message: str, signature: str) -> None:
        """``signature``: the failure's kind, as for ``RequestFailedError``."""
        super().__init__(message)
        self.signature = signature


class SyncStoppedError(BaseException):
    """A failure of the whole account on its way out of a stream's sync.

    The SDK logs "An unhandled error occurred while syncing '<stream>'" for any
    ``Exception`` that leaves a stream, naming whichever stream was reading at the time,
    although what failed is the account (the key, the API, the settings), not that
    stream. A ``BaseException`` passes that handler unlogged; ``cli.main`` says what
    happened in its one line.
    """

    def __init__(self, error: EmailgisticsError) -> None:
        """Carry ``error``, the failure itself."""
        super().__init__(str(error))
        self.error = error


@contextmanager
def stopping_the_sync() -> Iterator[None]:
    """Let a failure of the whole account leave a stream's sync as ``SyncStoppedError``."""
    try:
        yield
    except EmailgisticsError as error:
        raise SyncStoppedError(error) from error


class RunInterruptedError(BaseException):
    """SIGINT or SIGTERM arrived.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception``
    on the way up can swallow it.
    """

    def __init__(self, signum: int) -> None:
        """Remember which signal stopped the run."""
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        super().__init__(
            f"Interrupted by {self.signal_name}: the state of every completed window was "
            "written; rerun to continue from it."
        )

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process a signal ended."""
        return 128 + self.signum
