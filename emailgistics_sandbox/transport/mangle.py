"""Faults that change an answer's content: echoed credentials and malformed bodies."""

from __future__ import annotations

import copy
from http import HTTPStatus
from typing import TYPE_CHECKING

from emailgistics_sandbox.api.endpoints import Answer

if TYPE_CHECKING:
    from emailgistics_sandbox.settings.faults import FaultRule

SHAPES = ("array", "html", "no_start", "bad_cutoff")
_HTML = "<html><head><title>Gateway</title></head><body>Please sign in</body></html>"


def echo_credentials(fault: FaultRule, authorization: str | None) -> Answer:
    """An error whose message repeats the request's Authorization header verbatim."""
    message = f"Request rejected (Authorization: {authorization or 'none'})."
    body = {"status": "error", "error": {"code": str(fault.status), "message": message}}
    return Answer(fault.status, body)


def malformed(fault: FaultRule, answer: Answer) -> Answer:
    """``answer`` as a 200 of the fault's ``shape`` (a wrong shape, not a cut-off body)."""
    if fault.shape not in SHAPES:
        msg = f"unknown malformed_answer shape {fault.shape!r}; known: {', '.join(SHAPES)}"
        raise ValueError(msg)
    if fault.shape == "array":
        return Answer(HTTPStatus.OK, [answer.body])
    if fault.shape == "html":
        return Answer(HTTPStatus.OK, None, {"Content-Type": "text/html"}, raw=_HTML)
    body = copy.deepcopy(answer.body)
    result = body.get("result") if isinstance(body, dict) else None
    if isinstance(result, dict) and fault.shape == "no_start":
        for row in result.get("data") or []:
            row.pop("startDateTime", None)
    elif isinstance(result, dict):
        result["dataCutoffTimestamp"] = "05/01/2026 12:14 PM"
    return Answer(answer.status, body, answer.headers)
