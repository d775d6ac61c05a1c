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


class RunFailedError(EmailgisticsError, FatalAPIError):
    """A report run ended in ``status: error`` more often than the retry limit allows."""

    def __init__(self, message: str, origin: dict[str, object] | None) -> None:
        """Keep the run's ``_links.origin`` so the run can be re-created from it."""
        super().__init__(message)
        self.origin = origin


class ResultExpiredError(EmailgisticsError, FatalAPIError):
    """A result page answered 404: results expire 24 hours after their run started."""


class RunDeadlineError(EmailgisticsError, FatalAPIError):
    """A report run kept running past the configured deadline."""
