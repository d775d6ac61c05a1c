"""The base stream: authentication, transport, pacing, retries and error mapping.

Every request of the tap goes through ``EmailgisticsStream.send``: the URL is checked
against ``base_url`` (the key never leaves it), redirects are not followed, every
attempt is paced, GETs and 429s are retried with backoff, and a failed POST is never
re-sent here (it may have queued a run: re-creating one is the run engine's decision).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import deque
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from singer_sdk import RESTStream
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.streams.rest import HTTPRequest, PageContext
from typing_extensions import override

from tap_emailgistics.errors import (
    ApiAccessError,
    ForeignLinkError,
    MalformedAnswerError,
    ResultExpiredError,
    RunCreationUncertainError,
)
from tap_emailgistics.report_run import Answer, RunRequest

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

    from backoff.types import Details
    from singer_sdk import Tap

    from tap_emailgistics.services import TapServices

_RETRY_CAP_SECONDS = 120.0
_RATE_LIMIT_CAP_FACTOR = 8  # 429s without Retry-After: at most 8x the minimum wait
_JSON_ATTRIBUTE = "_emailgistics_json"
#: Failures of the connection itself: retried for GETs, "maybe queued" for POSTs.
_CONNECTION_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class LinkGuard:
    """Allows requests only to the configured scheme and host."""

    def __init__(self, base_url: str) -> None:
        """Remember the scheme and host of ``base_url``."""
        parts = urlsplit(base_url)
        self.scheme, self.netloc = parts.scheme, parts.netloc.lower()

    def check(self, href: str) -> str:
        """Return ``href`` if it is on the configured host, else fail without sending."""
        parts = urlsplit(href)
        if (parts.scheme, parts.netloc.lower()) != (self.scheme, self.netloc):
            msg = (
                f"The API sent a link to another host ({parts.scheme}://{parts.netloc}"
                f"{parts.path}); the tap only follows links on {self.scheme}://"
                f"{self.netloc}. Check base_url: it must be the host the API answers on."
            )
            raise ForeignLinkError(msg)
        return href


class _NotJsonError(ValueError):
    """The body is not JSON at all (say, an HTML page), as opposed to cut-off JSON."""


def response_json(response: requests.Response) -> object:
    """The response's JSON body, parsed once per response.

    Raises ``ValueError`` for JSON that was cut off and ``_NotJsonError`` for a body
    that never was JSON (say, an HTML page from a proxy).
    """
    if not hasattr(response, _JSON_ATTRIBUTE):
        text = response.text
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            if not text.lstrip().startswith(("{", "[")):
                raise _NotJsonError(text[:40]) from None
            raise
        setattr(response, _JSON_ATTRIBUTE, parsed)
    return getattr(response, _JSON_ATTRIBUTE)


class RequestPacer:
    """Keeps this tap under ``per_minute`` requests in any sliding minute.

    Shared by every stream of a tap, because the API's limit is per account.
    """

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Allow ``per_minute`` requests per 60 s."""
        self.per_minute, self.clock, self.sleep = per_minute, clock, sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def wait_for_slot(self) -> float:
        """Block until a request may be sent; return how long it waited."""
        with self._lock:
            now = self.clock()
            while self._sent and self._sent[0] <= now - 60:
                self._sent.popleft()
            waited = 0.0
            if len(self._sent) >= self.per_minute:
                waited = self._sent[0] + 60 - now
                self.sleep(waited)
                self._sent.popleft()
            self._sent.append(now + waited)
            return waited


class EmailgisticsStream(RESTStream[Any]):
    """Common transport for every Emailgistics stream."""

    extra_retry_statuses = (HTTPStatus.TOO_MANY_REQUESTS,)
    #: The API never redirects; not following redirects keeps the key on one host.
    allow_redirects = False

    @property
    @override
    def url_base(self) -> str:
        return self.services.settings.base_url

    @property
    @override
    def authenticator(self) -> BearerTokenAuthenticator:
        return BearerTokenAuthenticator(token=self.config["api_key"])

    def __init__(
        self,
        tap: Tap,
        services: Callable[[], TapServices],
        **kwargs: Any,  # noqa: ANN401
    ) -> None:
        """``services`` gives the tap's shared collaborators once settings are checked."""
        super().__init__(tap, **kwargs)
        self._services = services

    @property
    def services(self) -> TapServices:
        """Settings, pacer, directory, link guard, API clock and poll policy."""
        return self._services()

    def send(self, request: RunRequest) -> Answer:
        """Send one request through the gate; its JSON body and the API's clock."""
        http = self.get_http_request(page=PageContext(stream_context=None, next_page_token=request))
        prepared = self.build_prepared_request(
            method=http.method,
            url=http.url,
            params=http.encode_params(),
            headers=http.headers,
            json=http.data,
        )
        response = self.request_decorator(self._send_once)(prepared, None)
        clock = self.services.api_clock
        api_now = clock.observe(response.headers) or clock.now()
        return Answer(response, response_json(response), api_now)

    @override
    def get_http_request(self, *, page: PageContext[Any]) -> HTTPRequest:
        request = page.next_page_token
        if not isinstance(request, RunRequest):  # pragma: no cover - send() always sets it
            msg = "every request of this tap goes through send()"
            raise TypeError(msg)
        url = request.href or self.get_url(page.stream_context)
        return HTTPRequest(
            url=self.services.guard.check(url),
            method=request.method,
            params=dict(request.params or {}),
            headers=self.http_headers,
            data=request.body,
        )

    def _send_once(
        self,
        prepared: requests.PreparedRequest,
        context: Mapping[str, Any] | None,  # noqa: ARG002 - the SDK's request signature
    ) -> requests.Response:
        # One attempt, paced: the API counts every attempt against the account's minute.
        waited = self.services.pacer.wait_for_slot()
        if waited > 0:
            self.logger.info("Paced %.1f s to stay under requests_per_minute", waited)
        try:
            response = self.requests_session.send(
                prepared, timeout=self.timeout, allow_redirects=self.allow_redirects
            )
        except _CONNECTION_ERRORS as error:
            if prepared.method == "POST":
                msg = f"The report POST failed before an answer arrived ({type(error).__name__})"
                raise RunCreationUncertainError(msg) from None
            raise
        self.validate_response(response)
        return response

    @override
    def validate_response(self, response: requests.Response) -> None:
        status, post = response.status_code, response.request.method == "POST"
        if status == HTTPStatus.TOO_MANY_REQUESTS:  # nothing was queued: safe to repeat
            raise RetriableAPIError(self._describe(response), response)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            if post:
                raise RunCreationUncertainError(self._describe(response))
            raise RetriableAPIError(self._describe(response), response)
        if status >= HTTPStatus.MULTIPLE_CHOICES:
            raise self.access_error(response)
        self._check_json(response, post=post)

    def _check_json(self, response: requests.Response, *, post: bool) -> None:
        where = f"{response.request.method} {self._path(response)}"
        try:
            response_json(response)
        except _NotJsonError:
            kind = response.headers.get("Content-Type", "unknown type")
            msg = f"The API answered {where} with a body that is not JSON ({kind}): check base_url."
            raise MalformedAnswerError(msg) from None
        except ValueError:
            msg = f"Incomplete JSON body from {where}"
            if post:
                raise RunCreationUncertainError(msg) from None
            raise RetriableAPIError(msg, response) from None

    def access_error(self, response: requests.Response) -> Exception:
        """The one-line, actionable error for a non-retriable status."""
        status, detail = response.status_code, self._describe(response)
        method = response.request.method
        if status == HTTPStatus.UNAUTHORIZED:
            return ApiAccessError(
                f"The API key was refused ({detail}): check api_key; it may "
                "be mistyped, expired or deleted. Create a new key in "
                "Emailgistics Admin if needed."
            )
        if status == HTTPStatus.FORBIDDEN:
            return ApiAccessError(
                f"The API key lacks a scope this call needs ({detail}): "
                "use a key with the `reporting` scope."
            )
        if status == HTTPStatus.NOT_FOUND and method == "GET" and "/results/" in response.url:
            return ResultExpiredError(
                f"A report result is gone ({detail}): it expired (24 h) or belongs to another key."
            )
        if status == HTTPStatus.NOT_FOUND:
            return ApiAccessError(self.not_found_message(response, detail))
        if status == HTTPStatus.BAD_REQUEST:
            return ApiAccessError(
                f"The API rejected the request ({detail}): check start_date, "
                "end_date, periods, users and domains."
            )
        return ApiAccessError(f"Unexpected answer from the API ({detail}): check base_url.")

    def not_found_message(self, response: requests.Response, detail: str) -> str:
        """What a 404 on this stream's own request means (overridden by report streams)."""
        del response
        return f"Not found ({detail}): check base_url points at the Emailgistics API."

    def _path(self, response: requests.Response) -> str:
        return str(response.request.path_url).split("?", 1)[0] or self.path or "/"

    def _describe(self, response: requests.Response) -> str:
        try:
            body = response_json(response)
        except ValueError:
            body = None
        details = body.get("error") if isinstance(body, dict) else None
        error = details.get("message") if isinstance(details, dict) else None
        text = f"HTTP {response.status_code} on {response.request.method} {self._path(response)}"
        return f"{text}: {error}" if error else text

    @override
    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        minimum = self.services.settings.rate_limit_wait_seconds

        def waits() -> Generator[float, Any, None]:
            attempts = {"rate": 0, "other": 0}
            exception = yield  # type: ignore[misc]  # primed by backoff with None
            while True:
                kind = "rate" if _status_of(exception) == HTTPStatus.TOO_MANY_REQUESTS else "other"
                attempts[kind] += 1
                exception = yield _retry_wait(exception, attempts[kind], minimum)

        return waits()

    @override
    def backoff_max_tries(self) -> int:
        return 8

    @override
    def backoff_handler(self, details: Details) -> None:
        exception = details.get("exception")
        self.logger.warning(
            "Retrying in %.1f s (attempt %d): %s",
            details.get("wait", 0.0),
            details.get("tries", 0),
            exception or "request failed",
        )


def _status_of(exception: object) -> int | None:
    response = getattr(exception, "response", None)
    return getattr(response, "status_code", None)


def _retry_wait(exception: object, attempt: int, rate_limit_minimum: float) -> float:
    """How long to wait before repeating a request that failed with ``exception``.

    ``Retry-After`` when the API sends one. A 429 without it (the docs name no such
    header and ask for at least a minute) waits ``rate_limit_minimum`` seconds, jittered,
    doubling on each further 429: a 2 s retry would only spend the same exhausted minute.
    Anything else: exponential from 2 s.
    """
    response = getattr(exception, "response", None)
    header = response.headers.get("Retry-After") if response is not None else None
    if header is not None:
        try:
            return min(_RETRY_CAP_SECONDS, max(0.0, float(header)))
        except ValueError:
            logging.getLogger("tap-emailgistics").debug("Unparsable Retry-After %r", header)
    if _status_of(exception) == HTTPStatus.TOO_MANY_REQUESTS:
        doubled = rate_limit_minimum * 2.0 ** min(
            attempt - 1, _RATE_LIMIT_CAP_FACTOR.bit_length() - 1
        )
        return doubled * (1 + 0.2 * random.random())  # noqa: S311 - jitter
    return float(min(_RETRY_CAP_SECONDS, 2.0 * 2.0 ** (attempt - 1)))
