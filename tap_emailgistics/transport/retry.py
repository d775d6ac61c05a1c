"""What the transport repeats, how long it waits, and how it says it gave up."""

from __future__ import annotations

import logging
import random
import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import requests
from singer_sdk.exceptions import RetriableAPIError

if TYPE_CHECKING:
    from collections.abc import Generator

LOGGER = logging.getLogger("tap-emailgistics")
MAX_TRIES = 8
_RETRY_CAP_SECONDS = 120.0
_RATE_LIMIT_CAP_FACTOR = 8  # 429s without Retry-After: at most 8x the minimum wait
#: Failures of the connection itself: retried for GETs, "maybe queued" for POSTs.
CONNECTION_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
#: Everything the transport repeats by itself (a POST never reaches it on failure).
RETRIABLE_ERRORS = (RetriableAPIError, *CONNECTION_ERRORS)
#: Seconds to establish a connection; reading an answer may take the SDK's timeout.
CONNECT_TIMEOUT_SECONDS = 15.0
_REQUEST_IN_TEXT = re.compile(r" (on|from) [A-Z]+ /\S*?(?=:|$)")


def status_of(exception: object) -> int | None:
    """The HTTP status an exception carries, if it carries a response."""
    response = getattr(exception, "response", None)
    return getattr(response, "status_code", None)


def retry_after(response: requests.Response | None) -> float | None:
    """The answer's ``Retry-After`` in seconds (capped), or None when absent or unreadable."""
    header = response.headers.get("Retry-After") if response is not None else None
    if header is None:
        return None
    try:
        return min(_RETRY_CAP_SECONDS, max(0.0, float(header)))
    except ValueError:
        LOGGER.debug("Unparsable Retry-After %r", header)
        return None


def retry_wait(exception: object, attempt: int, rate_limit_minimum: float) -> float:
    """How long to wait before repeating a request that failed with ``exception``.

    ``Retry-After`` when the API sends one. A 429 without it (the docs name no such
    header and ask for at least a minute) waits ``rate_limit_minimum`` seconds, jittered,
    doubling on each further 429: a 2 s retry would only spend the same exhausted minute.
    Anything else: exponential from 2 s.
    """
    told = retry_after(getattr(exception, "response", None))
    if told is not None:
        return told
    if status_of(exception) == HTTPStatus.TOO_MANY_REQUESTS:
        doubled = rate_limit_minimum * 2.0 ** min(
            attempt - 1, _RATE_LIMIT_CAP_FACTOR.bit_length() - 1
        )
        return doubled * (1 + 0.2 * random.random())  # noqa: S311 - jitter
    return float(min(_RETRY_CAP_SECONDS, 2.0 * 2.0 ** (attempt - 1)))


def retry_waits(rate_limit_minimum: float) -> Generator[float, Any, None]:
    """The wait generator for ``backoff``: 429s and other failures double separately."""
    attempts = {"rate": 0, "other": 0}
    exception = yield  # type: ignore[misc]  # primed by backoff with None
    while True:
        kind = "rate" if status_of(exception) == HTTPStatus.TOO_MANY_REQUESTS else "other"
        attempts[kind] += 1
        exception = yield retry_wait(exception, attempts[kind], rate_limit_minimum)


def last_failure(error: BaseException) -> str:
    """One short line for the last failure of a repeated request (its path is said once)."""
    if isinstance(error, RetriableAPIError):
        text = str(error).splitlines()[0] if str(error) else "request failed"
        return _REQUEST_IN_TEXT.sub("", text).rstrip(".")
    reason = str(error).splitlines()[0] if str(error) else ""
    for fragment in ("Connection refused", "Connection reset", "timed out"):
        if fragment.lower() in reason.lower():
            return f"{type(error).__name__} ({fragment.lower()})"
    return type(error).__name__


def failure_signature(error: BaseException) -> str:
    """The kind of a failure, to tell repeated ones apart: ``HTTP 503``, ``ConnectionError (…)``."""
    status = status_of(error)
    if status is not None and status >= HTTPStatus.BAD_REQUEST:
        return f"HTTP {status}"
    return last_failure(error)
