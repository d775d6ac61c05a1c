"""The base stream: applies the transport's rules to every request of the tap.

Every request goes through ``EmailgisticsStream.send``: the URL is checked against
``base_url`` once (``get_http_request``; the key never leaves that host), redirects are
not followed, every attempt is paced, GETs (and their 429s) are repeated with backoff,
and a POST is never re-sent here: a failed one may have queued a run, and a 429 means
the account's run slots are taken (re-creating a run, and when, is the run engine's
decision). A connection failure before the host ever answered is a configuration
error, reported at once; a request whose tries run out is one line, and one whose tries
run out right after another's did (nothing answered between them) stops the sync.
"""

from __future__ import annotations

import functools
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import backoff
import requests
from singer_sdk import RESTStream
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.streams.rest import HTTPRequest, PageContext
from typing_extensions import override

from tap_emailgistics.errors import (
    ApiFailingError,
    EmailgisticsError,
    MalformedAnswerError,
    RequestFailedError,
    RunCreationUncertainError,
    RunSlotsTakenError,
    TransportGaveUpError,
)
from tap_emailgistics.sync.progress import StreamStats
from tap_emailgistics.transport.answers import (
    NotJsonError,
    describe,
    refusal,
    request_path,
    response_json,
)
from tap_emailgistics.transport.retry import (
    CONNECT_TIMEOUT_SECONDS,
    CONNECTION_ERRORS,
    MAX_TRIES,
    RETRIABLE_ERRORS,
    failure_signature,
    last_failure,
    retry_after,
    retry_wait,
    retry_waits,
    status_of,
)
from tap_emailgistics.values import Answer, RunRequest

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

    from backoff.types import Details
    from singer_sdk import Tap

    from tap_emailgistics.sync.services import TapServices


#: Pacing waits shorter than this are not worth a log line, even at debug level.
_NOTABLE_WAIT_SECONDS = 0.05


class EmailgisticsStream(RESTStream[Any]):
    """Common transport for every Emailgistics stream."""

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
        self.stats = StreamStats()
        self._sending_for: str | None = None

    @property
    def services(self) -> TapServices:
        """Settings, pacer, directory, API host, API clock and poll policy."""
        return self._services()

    def send(self, request: RunRequest, where: str | None = None) -> Answer:
        """Send one request through the gate, repeating it with backoff; its answer.

        ``where`` names what the request is for in the transport's own log lines. For
        requests outside report runs (the directory): a run's requests go through
        ``send_once``, so that waiting to try one again stalls nothing else.
        """
        self._sending_for = where
        prepared = self._prepared(request)
        started, tries = time.monotonic(), {"n": 0}

        def attempt(prepared: requests.PreparedRequest, context: None) -> requests.Response:
            tries["n"] += 1
            return self._send_once(prepared, context)

        host = self.services.host
        try:
            response = self.request_decorator(attempt)(prepared, None)
        except RETRIABLE_ERRORS as error:
            what = f"{prepared.method} {request_path(prepared)}"
            gave_up = TransportGaveUpError(
                what, tries["n"], time.monotonic() - started, last_failure(error)
            )
            if host.failing:  # twice in a row, nothing answered between: the API's trouble
                msg = f"{gave_up} The API answered nothing else in between: stopping the sync"
                raise ApiFailingError(msg) from None
            host.failing = True
            raise gave_up from None
        host.failing = False
        return self._answer(response)

    def send_once(self, request: RunRequest, where: str | None = None) -> Answer:
        """Send one request of a report run, once; a failure worth another try raises.

        ``RequestFailedError`` says what failed and how long to wait before trying
        again: the run engine decides when (``engine.run``), and meanwhile the
        scheduler keeps every other run moving.
        """
        del where  # the run engine names the run in its own lines
        prepared = self._prepared(request)
        try:
            response = self._send_once(prepared, None)
        except RETRIABLE_ERRORS as error:
            minimum = self.services.settings.rate_limit_wait_seconds
            what = f"{prepared.method} {request_path(prepared)}"
            raise RequestFailedError(
                what,
                last_failure(error),
                failure_signature(error),
                functools.partial(retry_wait, error, rate_limit_minimum=minimum),
                max_tries=MAX_TRIES,
                rate_limited=status_of(error) == HTTPStatus.TOO_MANY_REQUESTS,
            ) from None
        return self._answer(response)

    def _prepared(self, request: RunRequest) -> requests.PreparedRequest:
        http = self.get_http_request(page=PageContext(stream_context=None, next_page_token=request))
        return self.build_prepared_request(
            method=http.method,
            url=http.url,
            params=http.encode_params(),
            headers=http.headers,
            json=http.data,
        )

    def _answer(self, response: requests.Response) -> Answer:
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
            url=self.services.host.check(url),  # the one host check of every request
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
        self.stats.requests += 1
        if waited >= _NOTABLE_WAIT_SECONDS:
            self.logger.debug("Paced %.1f s to stay under requests_per_minute", waited)
        host = self.services.host
        try:
            response = self.requests_session.send(
                prepared,
                timeout=(CONNECT_TIMEOUT_SECONDS, self.timeout),
                allow_redirects=self.allow_redirects,
            )
        except CONNECTION_ERRORS as error:
            if not host.answered and isinstance(error, requests.exceptions.ConnectionError):
                raise host.unreachable(error) from None
            if prepared.method == "POST":
                msg = f"The report POST failed before an answer arrived ({type(error).__name__})"
                raise RunCreationUncertainError(msg, last_failure(error)) from None
            raise
        host.answered = True
        self.validate_response(response)
        return response

    @override
    def validate_response(self, response: requests.Response) -> None:
        status, post = response.status_code, response.request.method == "POST"
        if status == HTTPStatus.TOO_MANY_REQUESTS:  # nothing was queued: safe to repeat
            self.stats.rate_limited += 1
            if post:  # the account's run slots are taken: the scheduler decides when
                raise RunSlotsTakenError(describe(response), retry_after(response))
            self.services.pacer.rate_limited(retry_after(response))  # the request rate
            raise RetriableAPIError(describe(response), response)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            if post:
                raise RunCreationUncertainError(describe(response), f"HTTP {status}")
            raise RetriableAPIError(describe(response), response)
        if status >= HTTPStatus.MULTIPLE_CHOICES:
            scoped = self.forbidden(describe(response)) if status == HTTPStatus.FORBIDDEN else None
            raise scoped or refusal(response, self.not_found_message)
        self._check_json(response, post=post)

    def _check_json(self, response: requests.Response, *, post: bool) -> None:
        where = f"{response.request.method} {request_path(response.request)}"
        try:
            response_json(response)
        except NotJsonError:
            kind = response.headers.get("Content-Type", "unknown type")
            msg = (
                f"{where} was answered with a body that is not JSON ({kind}; check "
                "base_url, and any proxy between this machine and the API)"
            )
            raise MalformedAnswerError(msg) from None
        except ValueError:
            msg = f"Incomplete JSON body from {where}"
            if post:
                raise RunCreationUncertainError(msg, "Incomplete JSON body") from None
            raise RetriableAPIError(msg, response) from None

    def forbidden(self, detail: str) -> EmailgisticsError | None:
        """What a 403 means when this stream needs a scope of its own.

        None: the key lacks ``reporting``, which concerns the whole account.
        """
        del detail
        return None

    def not_found_message(self, response: requests.Response, detail: str) -> str:
        """What a 404 on this stream's own request means (overridden by report streams)."""
        del response
        return f"Not found ({detail}): check base_url points at the Emailgistics API."

    @override
    def request_decorator(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # The SDK's decorator, with this tap's list of repeatable failures, and with
        # backoff's own log lines off: ``backoff_handler`` logs each retry once, and
        # ``send`` turns the last failure into one line.
        decorated: Callable[..., Any] = backoff.on_exception(
            self.backoff_wait_generator,
            RETRIABLE_ERRORS,
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )(func)
        return decorated

    @override
    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        return retry_waits(self.services.settings.rate_limit_wait_seconds)

    @override
    def backoff_max_tries(self) -> int:
        return MAX_TRIES

    @override
    def backoff_handler(self, details: Details) -> None:
        exception = details.get("exception")
        self.logger.warning(
            "Retrying in %.1f s (attempt %d of %d%s): %s",
            details.get("wait", 0.0),
            details.get("tries", 0),
            MAX_TRIES,
            f"; {self._sending_for}" if self._sending_for else f"; {self.name}",
            last_failure(exception) if exception is not None else "request failed",
        )
