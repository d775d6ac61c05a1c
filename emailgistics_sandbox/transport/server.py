"""HTTP transport (standard library) and the Python API to run a sandbox.

The standard library's threading HTTP server is enough for loopback traffic, keeps
the sandbox free of dependencies and, importantly, independent of the tap's stack
(``requests``, the Singer SDK): it is an oracle, not a sibling.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar, Self
from urllib.parse import parse_qsl, urlsplit

from emailgistics_sandbox.api.endpoints import (
    Answer,
    ApiRequest,
    handle_api,
    request_mailbox,
    request_report,
)
from emailgistics_sandbox.api.state import SandboxState
from emailgistics_sandbox.control.endpoints import handle_control
from emailgistics_sandbox.settings.config import SandboxSettings
from emailgistics_sandbox.transport.mangle import echo_credentials, malformed

if TYPE_CHECKING:
    from types import TracebackType

    from emailgistics_sandbox.settings.faults import FaultRule


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EmailgisticsSandbox/1"
    state: ClassVar[SandboxState]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ANN401
        """Stay quiet: the request log is the record of traffic."""

    def send_response(self, code: int, message: str | None = None) -> None:
        """Status line, ``Server`` and a ``Date`` that follows the sandbox clock.

        The standard library would stamp the host's time; the API's ``Date`` is how a
        client learns the API's "now", so it must be the sandbox's (or absent, when the
        ``dateHeader`` switch is off).
        """
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())
        if self.state.settings.date_header:
            self.send_header("Date", format_datetime(self.state.clock.now(), usegmt=True))

    def do_GET(self) -> None:
        """Serve GET."""
        self._serve()

    def do_POST(self) -> None:
        """Serve POST."""
        self._serve()

    def do_PUT(self) -> None:
        """Serve PUT."""
        self._serve()

    def do_PATCH(self) -> None:
        """Serve PATCH."""
        self._serve()

    def do_DELETE(self) -> None:
        """Serve DELETE."""
        self._serve()

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if parts.path.startswith("/_sandbox/"):
            self._write(handle_control(self.state, self.command, parts.path, body))
            return
        mailbox = request_mailbox(self.state, self.command, parts.path, body)
        request = ApiRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query)),
            authorization=self.headers.get("Authorization"),
            body=body,
            base_url=f"http://{self.headers.get('Host') or _host_of(self.server)}",
        )
        computed: list[tuple[Answer, str | None]] = []  # the answer, once worked out

        def answer_now() -> tuple[Answer, str | None]:
            if not computed:
                computed.append(handle_api(self.state, request))
            return computed[0]

        def last_page() -> bool:  # worked out only for a rule that asks (page=last)
            return request.method == "GET" and _is_last_page(answer_now()[0])

        report = request_report(self.state, self.command, parts.path)
        fault = self.state.faults.for_request(
            self.command, parts.path, mailbox, last_page, report=report
        )
        if fault is not None and self._transport_fault(fault):
            return
        retry_after = self.state.settings.retry_after_header
        faulted = _faulted_answer(fault, retry_after=retry_after)
        answer, key_name = faulted or answer_now()
        if fault is not None and fault.kind == "echo_credentials":
            answer = echo_credentials(fault, request.authorization)
        if fault is not None and fault.kind == "malformed_answer":
            answer = malformed(fault, answer)
        queued = answer.status == HTTPStatus.OK and request.method == "POST"
        if fault is not None and fault.kind == "queue_then_fail" and queued:
            # The run was queued (it holds a slot and shows up in /_sandbox/runs), but
            # the client is told the POST failed: the documented "may still have queued".
            href = answer.body["_links"]["self"]["href"]
            self.state.runs.hide(urlsplit(href).path.rsplit("/", 1)[-1])
            answer = _server_error(fault.status)
        self._record(request, answer.status, key_name)
        self._write(answer, truncate=fault is not None and fault.kind == "truncated_json")

    def _transport_fault(self, fault: FaultRule) -> bool:
        """Apply a fault that acts on the connection; True if the request is done."""
        if fault.kind == "slow":
            time.sleep(fault.seconds)
            return False
        if fault.kind == "connection_reset":
            # SO_LINGER 0 makes close() send RST instead of a clean FIN.
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.close_connection = True
            self.connection.close()
            return True
        return False

    def _record(self, request: ApiRequest, status: int, key_name: str | None) -> None:
        try:
            body: Any = json.loads(request.body) if request.body else None
        except ValueError:
            body = request.body.decode("utf-8", "replace")
        self.state.log.add(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "body": body,
                "status": status,
                "key": key_name,
                "time": self.state.clock.now().isoformat(),
                "monotonic": time.monotonic(),
            }
        )

    def _write(self, answer: Answer, *, truncate: bool = False) -> None:
        raw = answer.raw if answer.raw is not None else json.dumps(answer.body)
        payload = raw.encode()
        if truncate:
            payload = payload[: max(1, len(payload) // 2)]
        self.send_response(answer.status)
        if "Content-Type" not in answer.headers:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def _is_last_page(answer: Answer) -> bool:
    """A result's last page: ``done``, with no next link."""
    body = answer.body if isinstance(answer.body, dict) else {}
    links = body.get("_links")
    last = isinstance(links, dict) and "next" not in links
    return answer.status == HTTPStatus.OK and body.get("status") == "done" and last


def _server_error(status: int) -> Answer:
    body = {"status": "error", "error": {"code": str(status), "message": "Transient server error."}}
    return Answer(status, body)


def _faulted_answer(
    fault: FaultRule | None, *, retry_after: bool
) -> tuple[Answer, str | None] | None:
    if fault is None or fault.kind not in {"http_error", "rate_limit_burst"}:
        return None
    if fault.kind == "http_error":
        return _server_error(fault.status), None
    status = HTTPStatus.TOO_MANY_REQUESTS
    body = {
        "status": "error",
        "error": {"code": str(int(status)), "message": "Rate limit exceeded."},
    }
    headers = {"Retry-After": str(max(1, round(fault.seconds)))} if retry_after else {}
    return Answer(int(status), body, headers), None


def _host_of(server: Any) -> str:  # noqa: ANN401
    host, port = server.server_address[:2]
    return f"{host}:{port}"


class Sandbox:
    """A running sandbox server, in a background thread of this process.

    >>> with Sandbox(SandboxSettings(run_seconds=0)) as sandbox:  # doctest: +SKIP
    ...     print(sandbox.base_url)
    """

    def __init__(
        self,
        settings: SandboxSettings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """Build the state and bind ``host:port`` (port 0 picks a free one)."""
        self.state = SandboxState(settings or SandboxSettings())
        handler = type("SandboxHandler", (_Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        return f"http://{_host_of(self._server)}"

    def start(self) -> Self:
        """Serve in a daemon thread, with the neighbour client in another; return self."""
        self.state.neighbour.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="emailgistics-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the neighbour in a thread)."""
        self.state.neighbour.start()
        self._server.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        """Stop serving and the neighbour, and release the port."""
        self.state.neighbour.stop()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        """Start on entering a ``with`` block."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop on leaving the block."""
        self.stop()
