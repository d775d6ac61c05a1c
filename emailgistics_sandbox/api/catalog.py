"""Every report endpoint: its scopes, how a request becomes a query, how it is run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emailgistics_sandbox.api.message_query import build_message_query
from emailgistics_sandbox.api.validation import build_report_query
from emailgistics_sandbox.truth.message_detail import (
    MESSAGE_DETAIL,
    MessageQuery,
    MessageResult,
    run_message_detail,
)
from emailgistics_sandbox.truth.reports import REPORTS, ReportQuery, ReportResult, run_report

if TYPE_CHECKING:
    from datetime import datetime

    from emailgistics_sandbox.api.state import SandboxState
    from emailgistics_sandbox.settings.config import ApiKey

AnyQuery = ReportQuery | MessageQuery
AnyResult = ReportResult | MessageResult
#: The aggregate reports, then the message detail report.
REPORT_NAMES = (*REPORTS, MESSAGE_DETAIL)


def required_scopes(report: str) -> tuple[str, ...]:
    """The scopes a POST of ``report`` needs; the docs add one for message detail."""
    if report == MESSAGE_DETAIL:
        return ("reporting", "messages:read")
    return ("reporting",)


def build_query(  # noqa: PLR0913 - the request's parts plus who asks
    state: SandboxState,
    query: dict[str, str],
    body: dict[str, Any],
    key: ApiKey,
    report: str,
    *,
    include_removed: bool = False,
) -> AnyQuery:
    """Validate a request of any report (see the two validators)."""
    if report == MESSAGE_DETAIL:
        return build_message_query(state, query, body, key, include_removed=include_removed)
    return build_report_query(state, query, body, key, report, include_removed=include_removed)


def compute(query: AnyQuery, visible_until: datetime) -> AnyResult:
    """Run a validated query with activity visible up to ``visible_until`` (UTC)."""
    if isinstance(query, MessageQuery):
        return run_message_detail(query, visible_until)
    return run_report(query, visible_until)


def total_until_last_page(report: str) -> bool:
    """Whether ``result.total`` stays null until the last page (message detail: never)."""
    return report != MESSAGE_DETAIL and REPORTS[report].total_until_last_page
