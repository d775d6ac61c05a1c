"""The base stream: authentication, transport, pacing, retries and error mapping."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from singer_sdk import RESTStream
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.exceptions import RetriableAPIError
from typing_extensions import override

from tap_emailgistics.errors import ApiAccessError, ResultExpiredError, RunFailedError
from tap_emailgistics.pagination import envelope_of

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    import requests
    from backoff.types import Details
    from singer_sdk import Tap

    from tap_emailgistics.services import TapServices

_RETRY_CAP_SECONDS = 120.0


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
        """Settings, pacer, directory, link guard and poll policy shared by the tap."""
        return self._services()

    @property
    def pacer(self) -> RequestPacer:
        """The tap-wide pacer: the API's limit is per account, not per stream."""
        return self.services.pacer

    @override
    def request_decorator(self, func: Callable[..., Any]) -> Callable[..., Any]:
        # Pace every attempt, retries included: the API counts each one.
        def paced(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            waited = self.pacer.wait_for_slot()
            if waited > 0:
                self.logger.info("Paced %.1f s to stay under requests_per_minute", waited)
            return func(*args, **kwargs)

        return super().request_decorator(paced)

    @override
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(self._describe(response), response)
        if status >= HTTPStatus.MULTIPLE_CHOICES:
            raise self.access_error(response)
        try:
            envelope = envelope_of(response)
        except ValueError:
            # A cut-off body: the request is repeated (GETs are safe; see README).
            msg = f"Incomplete JSON body from {response.request.method} {self._path(response)}"
            raise RetriableAPIError(msg, response) from None
        if envelope.get("status") == "error":
            error = envelope.get("error") or {}
            msg = (
                f"Report run failed: {error.get('code', '?')} {error.get('message', 'no message')}"
            )
            raise RunFailedError(msg, (envelope.get("_links") or {}).get("origin"))

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
            error = (envelope_of(response).get("error") or {}).get("message")
        except ValueError:
            error = None
        text = f"HTTP {response.status_code} on {response.request.method} {self._path(response)}"
        return f"{text}: {error}" if error else text

    @override
    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        def waits() -> Generator[float, Any, None]:
            attempt = 0
            exception = yield  # type: ignore[misc]  # primed by backoff with None
            while True:
                attempt += 1
                exception = yield _retry_wait(exception, attempt)

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


def _retry_wait(exception: object, attempt: int) -> float:
    """``Retry-After`` when the API sends it, else exponential from 2 s."""
    response = getattr(exception, "response", None)
    header = response.headers.get("Retry-After") if response is not None else None
    if header is not None:
        try:
            return min(_RETRY_CAP_SECONDS, max(0.0, float(header)))
        except ValueError:
            logging.getLogger("tap-emailgistics").debug("Unparsable Retry-After %r", header)
    return float(min(_RETRY_CAP_SECONDS, 2.0 * 2.0 ** (attempt - 1)))
