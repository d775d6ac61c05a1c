"""Validation of API requests: bodies, paging parameters and report queries."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from emailgistics_sandbox.runs.pages import MAX_PAGE_SIZE, PageRequest
from emailgistics_sandbox.runs.store import ApiError
from emailgistics_sandbox.truth.periods import PERIODS
from emailgistics_sandbox.truth.reports import REPORTS, ReportQuery

if TYPE_CHECKING:
    from emailgistics_sandbox.api.state import SandboxState
    from emailgistics_sandbox.settings.config import ApiKey


def page_request(query: dict[str, str], default_max: int) -> PageRequest:
    """The slice of a result asked for by ``max``, ``starting_after``, ``ending_before``."""
    raw_max = query.get("max", str(default_max))
    if not raw_max.isdigit() or int(raw_max) < 1:
        raise ApiError(400, f"Parameter 'max' must be a positive integer, got {raw_max!r}.")
    after, before = query.get("starting_after"), query.get("ending_before")
    if after is not None and before is not None:
        raise ApiError(400, "'starting_after' and 'ending_before' are mutually exclusive.")
    for name, value in (("starting_after", after), ("ending_before", before)):
        if value is not None and not value.isdigit():
            raise ApiError(400, f"Parameter {name!r} must be a row id, got {value!r}.")
    return PageRequest(min(int(raw_max), MAX_PAGE_SIZE), after, before)


def json_body(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object; else the documented 400."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.")
    return body


def build_report_query(  # noqa: PLR0913 - the request's parts plus who asks
    state: SandboxState,
    query: dict[str, str],
    body: dict[str, Any],
    key: ApiKey,
    report: str,
    *,
    include_removed: bool = False,
) -> ReportQuery:
    """Validate a report request (query string and body) into a ``ReportQuery``.

    ``include_removed`` lets the oracle report on mailboxes removed from the directory:
    their activity happened, only the API stopped listing them.
    """
    spec = REPORTS[report]
    for name in ("mailboxId", "start", "end", "period"):
        if name not in body:
            raise ApiError(400, f"Missing required field {name!r}.")
    if body["period"] not in PERIODS:
        raise ApiError(400, f"Invalid period {body['period']!r}; use one of {', '.join(PERIODS)}.")
    start, end = _local_time(body["start"], "start"), _local_time(body["end"], "end")
    if start > end:
        raise ApiError(400, "'start' is after 'end'.")
    mailbox = state.mailbox_for(key, str(body["mailboxId"]), include_removed=include_removed)
    return ReportQuery(
        report=report,
        mailbox=mailbox,
        period=body["period"],
        start=start,
        end=end,
        groups=field_groups(query, spec.groups, spec.default_group),
        users=string_list(body, "users"),
        domains=lowered(string_list(body, "domains")),
        include_details=query_flag(query, "includeDetails"),
        sparse=state.settings.sparse_rows,
        ambiguous_end=state.settings.ambiguous_end,
    )


def field_groups(query: dict[str, str], known: dict[str, Any], default: str) -> tuple[str, ...]:
    """The ``fieldGroup`` names asked for, in the report's order; unknown ones are a 400."""
    names = [g.strip() for g in query.get("fieldGroup", default).split(",") if g.strip()]
    unknown = [g for g in names if g not in known]
    if unknown or not names:
        raise ApiError(400, f"Unknown fieldGroup {unknown!r}; use {', '.join(known)}.")
    return tuple(sorted(set(names), key=list(known).index))


def query_flag(query: dict[str, str], name: str) -> bool:
    """A ``true``/``false`` query parameter (default false); anything else is a 400."""
    raw = query.get(name, "false").lower()
    if raw not in {"true", "false"}:
        raise ApiError(400, f"Parameter {name!r} must be true or false.")
    return raw == "true"


def string_list(body: dict[str, Any], name: str) -> tuple[str, ...] | None:
    """An optional body array of strings; omitted or empty is None (no filter)."""
    value = body.get(name)
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"Field {name!r} must be an array of strings.")
    return tuple(value)


def lowered(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Lower-cased values without duplicates, for case-insensitive matching."""
    return None if values is None else tuple(dict.fromkeys(v.lower() for v in values))


def _local_time(value: Any, name: str) -> datetime:  # noqa: ANN401
    # Any `Z` or offset is ignored: the wall-clock value is read in the mailbox zone.
    if not isinstance(value, str):
        raise ApiError(400, f"Field {name!r} must be an ISO 8601 datetime string.")
    text = re.sub(r"(Z|[+-]\d{2}:?\d{2})$", "", value.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, f"Field {name!r} is not an ISO 8601 datetime: {value!r}.") from None
    return parsed.replace(tzinfo=None) - timedelta(microseconds=parsed.microsecond)
