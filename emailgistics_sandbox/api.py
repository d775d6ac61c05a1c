"""The ``/api/v1`` surface: authentication, limits, validation and the endpoints."""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from emailgistics_sandbox.periods import PERIODS
from emailgistics_sandbox.reports import REPORTS, ReportQuery, ReportResult, Row, run_report
from emailgistics_sandbox.runs import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    ApiError,
    PageRequest,
    Run,
    envelope,
    retry_after_seconds,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from emailgistics_sandbox.config import ApiKey
    from emailgistics_sandbox.state import SandboxState

_RESULTS_PATH = re.compile(r"^/api/v1/reports/results/([0-9a-fA-F-]{36})$")
_REPORT_PATH = re.compile(r"^/api/v1/reports/([A-Za-z]+)$")


@dataclass
class Answer:
    """An HTTP answer before it is written to the socket."""

    status: int
    body: Any  # JSON: an object, except in the malformed_answer fault
    headers: dict[str, str] = field(default_factory=dict)
    #: Written as is instead of ``body`` (an HTML page, in the malformed_answer fault).
    raw: str | None = None


def handle_api(state: SandboxState, request: ApiRequest) -> tuple[Answer, str | None]:
    """Answer one API request; also return the name of the key that made it."""
    key: ApiKey | None = None
    try:
        key = _authenticate(state, request.authorization)
        _admit_request(state, key)
        return _route(state, request, key), key.name
    except ApiError as error:
        headers = {}
        if error.retry_after is not None and state.settings.retry_after_header:
            headers["Retry-After"] = str(error.retry_after)
        return Answer(error.status, error.body(), headers), key.name if key else None


def _admit_request(state: SandboxState, key: ApiKey) -> None:
    retry = state.rate_limiter.admit(key.account, state.settings.requests_per_minute)
    if retry is not None:
        raise ApiError(429, "Rate limit exceeded.", retry_after=retry)


@dataclass(frozen=True)
class ApiRequest:
    """The parts of an HTTP request the API looks at."""

    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    body: bytes
    base_url: str


def _authenticate(state: SandboxState, header: str | None) -> ApiKey:
    if not header or not header.startswith("Bearer ") or not header[7:].strip():
        raise ApiError(401, "Missing or malformed API key. Send 'Authorization: Bearer <key>'.")
    key = state.keys.get(header[7:].strip())
    if key is None:
        raise ApiError(401, "Unknown API key.")
    if state.clock.now() >= key.expires:
        raise ApiError(401, "API key has expired.")
    return key


def _require_scope(key: ApiKey, *scopes: str) -> None:
    missing = [s for s in scopes if s not in key.scopes]
    if missing:
        raise ApiError(403, f"API key is missing the required scope: {', '.join(missing)}.")


def _route(state: SandboxState, request: ApiRequest, key: ApiKey) -> Answer:
    if request.path == "/api/v1/admin/mailboxes" and request.method == "GET":
        _require_scope(key, "reporting")
        return Answer(200, {"mailboxes": state.mailbox_list(key)})
    if match := _RESULTS_PATH.match(request.path):
        if request.method != "GET":
            raise ApiError(405, "Use GET on report results.")
        _require_scope(key, "reporting")
        return _results(state, request, key, match.group(1))
    if (match := _REPORT_PATH.match(request.path)) and request.method == "POST":
        if match.group(1) not in REPORTS:
            raise ApiError(404, f"Unknown report {match.group(1)!r}.")
        _require_scope(key, "reporting")
        return _create_run(state, request, key, match.group(1))
    raise ApiError(404, f"No endpoint {request.method} {request.path}.")


def _results(state: SandboxState, request: ApiRequest, key: ApiKey, result_id: str) -> Answer:
    run = state.runs.get(result_id, key.key, state.clock.now(), state.settings.result_ttl_hours)
    page = _page_request(request.query, default_max=DEFAULT_PAGE_SIZE)
    return Answer(200, envelope(run, request.base_url, page))


def _page_request(query: dict[str, str], default_max: int) -> PageRequest:
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


def _create_run(state: SandboxState, request: ApiRequest, key: ApiKey, report: str) -> Answer:
    origin_body = _json_body(request.body)
    origin = {
        "href": f"{request.base_url}/api/v1/reports/{report}",
        "method": "POST",
        "body": {"parameters": origin_body},
    }
    try:
        query = build_report_query(state, request.query, origin_body, key, report)
        page = _page_request(request.query, default_max=DEFAULT_PAGE_SIZE)
        _admit_run(state, key)
    except ApiError as error:
        error.origin = origin
        raise
    result = run_report(query, state.visible_until())
    run = state.runs.add(_run_factory(state, key, origin, query, result))
    return Answer(200, envelope(run, request.base_url, page))


def _admit_run(state: SandboxState, key: ApiKey) -> None:
    cap = state.settings.max_running_runs
    if cap <= 0:
        return
    running, first_done_in = state.runs.running_count(key.account)
    if running >= cap:
        raise ApiError(429, "Rate limit exceeded.", retry_after=retry_after_seconds(first_done_in))


def _run_factory(
    state: SandboxState,
    key: ApiKey,
    origin: dict[str, Any],
    query: ReportQuery,
    result: ReportResult,
) -> Callable[[str, int], Run]:
    def new_run(result_id: str, id_base: int) -> Run:
        dice = random.Random(f"{state.settings.fault_seed}:{id_base}")  # noqa: S311 - dice
        omit = state.settings.omit_null_probability
        rows = [
            {"id": str(id_base + i), **_drop_some_nulls(row, omit, dice)}
            for i, row in enumerate(result.rows)
        ]
        return _new_run(state, key, origin, query, result, result_id, rows)

    return new_run


def _new_run(  # noqa: PLR0913, PLR0917 - one call site, all parts of one run
    state: SandboxState,
    key: ApiKey,
    origin: dict[str, Any],
    query: ReportQuery,
    result: ReportResult,
    result_id: str,
    rows: list[dict[str, Any]],
) -> Run:
    instant = len(rows) <= state.settings.instant_rows
    failing = state.faults.for_run("run_error", query.mailbox.mailbox_id)
    expiring = state.faults.for_run("expire_mid_paging", query.mailbox.mailbox_id)
    return Run(
        result_id=result_id,
        key=key.key,
        account=key.account,
        origin=origin,
        rows=rows,
        time_zone=query.mailbox.time_zone,
        total_until_last_page=REPORTS[query.report].total_until_last_page,
        created_at=state.clock.now(),
        started=time.monotonic(),
        duration=0.0 if instant else state.settings.run_seconds,
        fails_with="Report run failed: injected fault." if failing else None,
        expire_after_pages=expiring.after_pages if expiring else None,
        cutoff=result.cutoff_local(query.mailbox.time_zone),
        mailbox_id=query.mailbox.mailbox_id,
    )


def _drop_some_nulls(row: Row, probability: float, dice: random.Random) -> Row:
    # The docs' own monthly example leaves a null column out of a row.
    if probability <= 0:
        return row
    return {k: v for k, v in row.items() if v is not None or dice.random() >= probability}


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.")
    return body


def build_report_query(
    state: SandboxState,
    query: dict[str, str],
    body: dict[str, Any],
    key: ApiKey,
    report: str,
) -> ReportQuery:
    """Validate a report request (query string and body) into a ``ReportQuery``."""
    spec = REPORTS[report]
    for name in ("mailboxId", "start", "end", "period"):
        if name not in body:
            raise ApiError(400, f"Missing required field {name!r}.")
    if body["period"] not in PERIODS:
        raise ApiError(400, f"Invalid period {body['period']!r}; use one of {', '.join(PERIODS)}.")
    start, end = _local_time(body["start"], "start"), _local_time(body["end"], "end")
    if start > end:
        raise ApiError(400, "'start' is after 'end'.")
    mailbox = state.mailbox_for(key, str(body["mailboxId"]))
    return ReportQuery(
        report=report,
        mailbox=mailbox,
        period=body["period"],
        start=start,
        end=end,
        groups=_groups(query, spec.groups, spec.default_group),
        users=_string_list(body, "users"),
        domains=_lowered(_string_list(body, "domains")),
        include_details=_flag(query, "includeDetails"),
        sparse=state.settings.sparse_rows,
        ambiguous_end=state.settings.ambiguous_end,
    )


def _groups(query: dict[str, str], known: dict[str, Any], default: str) -> tuple[str, ...]:
    names = [g.strip() for g in query.get("fieldGroup", default).split(",") if g.strip()]
    unknown = [g for g in names if g not in known]
    if unknown or not names:
        raise ApiError(400, f"Unknown fieldGroup {unknown!r}; use {', '.join(known)}.")
    return tuple(sorted(set(names), key=list(known).index))


def _flag(query: dict[str, str], name: str) -> bool:
    raw = query.get(name, "false").lower()
    if raw not in {"true", "false"}:
        raise ApiError(400, f"Parameter {name!r} must be true or false.")
    return raw == "true"


def _string_list(body: dict[str, Any], name: str) -> tuple[str, ...] | None:
    value = body.get(name)
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"Field {name!r} must be an array of strings.")
    return tuple(value)


def _lowered(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
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
