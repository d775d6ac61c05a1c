"""Errors the tap reports as one actionable line (see ``cli.main``)."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class EmailgisticsError(Exception):
    """Base of every error the tap explains in one line and exits non-zero on."""


class SettingsError(EmailgisticsError):
    """A setting is missing, malformed or inconsistent (checked before any HTTP call)."""


class ApiAccessError(EmailgisticsError, FatalAPIError):
    """The API refused the request for a reason retrying cannot fix (400/401/403/404)."""


class ForeignLinkError(EmailgisticsError, FatalAPIError):
    """The API sent a link to another host or scheme; the key is never sent there."""


class ResultExpiredError(EmailgisticsError, FatalAPIError):
    """A result page answered 404: results expire 24 hours after their run started."""


class RunDeadlineError(EmailgisticsError, FatalAPIError):
    """A report run kept running past the configured deadline."""


class MalformedAnswerError(EmailgisticsError, FatalAPIError):
    """An answer the tap cannot read as the documented envelope: it stops, never guesses."""


class IncompleteResultError(EmailgisticsError, FatalAPIError):
    """A result's rows disagree with its ``total``, even after re-reading it."""


class RunGaveUpError(EmailgisticsError, FatalAPIError):
    """A window's run could not be completed within its re-creation budget."""


class StateError(EmailgisticsError):
    """The incoming state cannot be right (e.g. a bookmark after the API's now)."""


class RunCreationUncertainError(EmailgisticsError):
    """A report POST failed in a way that may still have queued a run (5xx, reset, cut-off).

    Never retried by the transport: re-creating a run is the run engine's decision.
    """
