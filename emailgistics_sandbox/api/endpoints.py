"""The ``/api/v1`` surface: authentication, limits, validation and the endpoints."""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emailgistics_sandbox.api.catalog import (
    REPORT_NAMES,
    build_query,
    compute,
    required_scopes,
    total_until_last_page,
)
from emailgistics_sandbox.api.validation import json_body, page_request
from emailgistics_sandbox.runs.pages import DEFAULT_PAGE_SIZE, envelope
from emailgistics_sandbox.runs.store import ApiError, Run

if TYPE_CHECKING:
    from collections.abc import Callable

    from emailgistics_sandbox.api.catalog import AnyQuery, AnyResult
    from emailgistics_sandbox.api.state import SandboxState
    from emailgistics_sandbox.settings.config import ApiKey
    from emailgistics_sandbox.truth.reports import Row

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
        if match.group(1) not in REPORT_NAMES:
            raise ApiError(404, f"Unknown report {match.group(1)!r}.")
        _require_scope(key, *required_scopes(match.group(1)))
        return _create_run(state, request, key, match.group(1))
    raise ApiError(404, f"No endpoint {request.method} {request.path}.")


def _results(state: SandboxState, request: ApiRequest, key: ApiKey, result_id: str) -> Answer:
    run = state.runs.get(result_id, key.key, state.clock.now(), state.settings.result_ttl_hours)
    page = page_request(request.query, default_max=DEFAULT_PAGE_SIZE)
    return Answer(200, envelope(run, request.base_url, page))


def _create_run(state: SandboxState, request: ApiRequest, key: ApiKey, report: str) -> Answer:
    origin_body = json_body(request.body)
    origin = {
        "href": f"{request.base_url}/api/v1/reports/{report}",
        "method": "POST",
        "body": {"parameters": origin_body},
    }
    cap = state.settings.max_running_runs
    try:
        query = build_query(state, request.query, origin_body, key, report)
        page = page_request(request.query, default_max=DEFAULT_PAGE_SIZE)
        # Checked before the report is computed so a refused POST costs nothing; checked
        # again, atomically, when the run is stored (another client may have taken the slot).
        state.runs.check_cap(key.account, cap)
        result = compute(query, state.visible_until())
        factory = _run_factory(state, key, origin, query, result)
        run = state.runs.add_capped(key.account, cap, factory)
    except ApiError as error:
        error.origin = origin
        raise
    return Answer(200, envelope(run, request.base_url, page))


def _run_factory(
    state: SandboxState,
    key: ApiKey,
    origin: dict[str, Any],
    query: AnyQuery,
    result: AnyResult,
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
    query: AnyQuery,
    result: AnyResult,
    result_id: str,
    rows: list[dict[str, Any]],
) -> Run:
    instant = len(rows) <= state.settings.instant_rows
    duration = 0.0 if instant else state.settings.run_duration(len(rows))
    failing = state.faults.for_run("run_error", query.mailbox.mailbox_id)
    expiring = state.faults.for_run("expire_mid_paging", query.mailbox.mailbox_id)
    return Run(
        result_id=result_id,
        key=key.key,
        key_name=key.name,
        account=key.account,
        origin=origin,
        rows=rows,
        time_zone=query.mailbox.time_zone,
        total_until_last_page=total_until_last_page(query.report),
        created_at=state.clock.now(),
        started=time.monotonic(),
        duration=duration,
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


def request_report(state: SandboxState, method: str, path: str) -> str | None:
    """The report a request is about (a report POST's, or the run's a results GET reads)."""
    if match := _RESULTS_PATH.match(path):
        return state.runs.report_of(match.group(1))
    match = _REPORT_PATH.match(path)
    return match.group(1) if match and method == "POST" else None


def request_mailbox(state: SandboxState, method: str, path: str, raw_body: bytes) -> str | None:
    """The mailbox a request is about, for mailbox-bound faults; None when it names none.

    A report POST is about its body's ``mailboxId``; a results GET about the mailbox of
    the run it reads (whoever started it); anything else, or an unknown result id, about
    no mailbox.
    """
    if match := _RESULTS_PATH.match(path):
        return state.runs.mailbox_of(match.group(1))
    if method != "POST" or not _REPORT_PATH.match(path):
        return None
    try:
        body = json.loads(raw_body or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    mailbox = body.get("mailboxId") if isinstance(body, dict) else None
    return None if mailbox is None else str(mailbox)
