"""What an answer means: its JSON body, and the one-line error for each refusal."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING

from tap_emailgistics.errors import ApiAccessError, EmailgisticsError, ResultExpiredError

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

_JSON_ATTRIBUTE = "_emailgistics_json"


class NotJsonError(ValueError):
    """The body is not JSON at all (say, an HTML page), as opposed to cut-off JSON."""


def response_json(response: requests.Response) -> object:
    """The response's JSON body, parsed once per response.

    Raises ``ValueError`` for JSON that was cut off and ``NotJsonError`` for a body
    that never was JSON (say, an HTML page from a proxy).
    """
    if not hasattr(response, _JSON_ATTRIBUTE):
        text = response.text
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            if not text.lstrip().startswith(("{", "[")):
                raise NotJsonError(text[:40]) from None
            raise
        setattr(response, _JSON_ATTRIBUTE, parsed)
    return getattr(response, _JSON_ATTRIBUTE)


def request_path(request: requests.PreparedRequest) -> str:
    """The request's path without its query (queries are noise in one-line errors)."""
    return str(request.path_url).split("?", 1)[0] or "/"


def describe(response: requests.Response) -> str:
    """``HTTP 404 on GET /path: <the API's message>``."""
    try:
        body = response_json(response)
    except ValueError:
        body = None
    details = body.get("error") if isinstance(body, dict) else None
    error = details.get("message") if isinstance(details, dict) else None
    request = response.request
    text = f"HTTP {response.status_code} on {request.method} {request_path(request)}"
    return f"{text}: {error}" if error else text


def refusal(
    response: requests.Response, not_found: Callable[[requests.Response, str], str]
) -> EmailgisticsError:
    """The one-line, actionable error for a status that retrying cannot fix.

    ``not_found`` says what a 404 on the stream's own request means (it differs by stream).
    """
    status, detail = response.status_code, describe(response)
    if status == HTTPStatus.UNAUTHORIZED:
        return ApiAccessError(
            f"The API key was refused ({detail}): check api_key; it may be mistyped, "
            "expired or deleted. Create a new key in Emailgistics Admin if needed.",
            status,
        )
    if status == HTTPStatus.FORBIDDEN:
        return ApiAccessError(
            f"The API key lacks a scope this call needs ({detail}): "
            "use a key with the `reporting` scope.",
            status,
        )
    if status == HTTPStatus.NOT_FOUND:
        if response.request.method == "GET" and "/results/" in response.url:
            return ResultExpiredError(
                f"A report result is gone ({detail}): it expired (24 h) or belongs to another key."
            )
        return ApiAccessError(not_found(response, detail), status)
    if status == HTTPStatus.BAD_REQUEST:
        return ApiAccessError(
            f"The API rejected the request ({detail}): check start_date, end_date, "
            "periods, users and domains.",
            status,
        )
    return ApiAccessError(f"Unexpected answer from the API ({detail}): check base_url.", status)
