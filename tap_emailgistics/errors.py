"""Errors the tap reports as one actionable line, and the exit code of each (``cli.main``).

Exit codes: 0 success; 1 a person must change something (a setting, the key, the
state, the network path to the API); 2 the API could not deliver complete data this
time: the bookmark kept every verified window, and rerunning later is the fix (an
orchestrator may retry automatically); 130 / 143 interrupted by SIGINT / SIGTERM.
"""

from __future__ import annotations

import signal
from typing import ClassVar

from singer_sdk.exceptions import FatalAPIError

from tap_emailgistics.progress import duration

EXIT_NEEDS_A_PERSON = 1
EXIT_INCOMPLETE_DATA = 2


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


class ApiAccessError(EmailgisticsError, FatalAPIError):
    """The API refused the request for a reason retrying cannot fix (400/401/403/404)."""


class ForeignLinkError(EmailgisticsError, FatalAPIError):
    """The API sent a link to another host or scheme; the key is never sent there."""


class MalformedAnswerError(EmailgisticsError, FatalAPIError):
    """An answer the tap cannot read as the documented envelope: it stops, never guesses."""


class IncompleteDataError(EmailgisticsError, FatalAPIError):
    """The API could not deliver complete data this time; rerunning later is the fix."""

    exit_code: ClassVar[int] = EXIT_INCOMPLETE_DATA


class ResultExpiredError(IncompleteDataError):
    """A result page answered 404: results expire 24 hours after their run started."""


class RunDeadlineError(IncompleteDataError):
    """A report run kept running past the configured deadline."""


class IncompleteResultError(IncompleteDataError):
    """A result's rows disagree with its ``total``, even after re-reading it."""


class RunGaveUpError(IncompleteDataError):
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

    def at(self, where: str) -> TransportGaveUpError:
        """The same failure, naming the report, mailbox, period and window."""
        return TransportGaveUpError(self.what, self.tries, self.seconds, self.last, where)


class RunCreationUncertainError(EmailgisticsError):
    """A report POST failed in a way that may still have queued a run (5xx, reset, cut-off).

    Never retried by the transport: re-creating a run is the run engine's decision.
    """


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
