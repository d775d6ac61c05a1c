"""A small client for the ``/_sandbox`` control surface (standard library only)."""

from __future__ import annotations

import json
from typing import Any
from urllib.request import Request, urlopen


class SandboxControl:
    """Drive a sandbox (in this process or another) over its control endpoints."""

    def __init__(self, base_url: str) -> None:
        """Point at a sandbox's base URL, e.g. ``http://127.0.0.1:8765``."""
        self.base_url = base_url.rstrip("/")

    def _call(self, method: str, path: str, body: Any = None) -> Any:  # noqa: ANN401
        data = None if body is None else json.dumps(body).encode()
        request = Request(  # noqa: S310 - the URL is the sandbox's own, on loopback
            f"{self.base_url}/_sandbox/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())

    def health(self) -> bool:
        """Whether the sandbox answers."""
        return bool(self._call("GET", "health")["ok"])

    def clock(self) -> dict[str, str]:
        """``now`` and ``dataVisibleUntil`` (ISO 8601, UTC)."""
        return dict(self._call("GET", "clock"))

    def set_clock(self, now: str) -> dict[str, str]:
        """Jump the clock to ``now`` (ISO 8601)."""
        return dict(self._call("PUT", "clock", {"now": now}))

    def advance(self, **delta: float) -> dict[str, str]:
        """Advance the clock, e.g. ``advance(days=1)``."""
        return dict(self._call("POST", "clock/advance", delta))

    def requests(self) -> list[dict[str, Any]]:
        """The API requests received so far, oldest first."""
        return list(self._call("GET", "requests")["requests"])

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._call("DELETE", "requests")

    def truth(self, **query: Any) -> list[dict[str, Any]]:  # noqa: ANN401
        """Expected rows for a report query (same body fields as the API, plus report)."""
        return list(self._call("POST", "truth", query)["rows"])

    def set_faults(self, faults: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the fault rules (see ``emailgistics_sandbox.faults``)."""
        return list(self._call("PUT", "faults", {"faults": faults})["faults"])

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules and how often each fired."""
        return list(self._call("GET", "faults")["faults"])

    def update_settings(self, **changes: Any) -> dict[str, Any]:  # noqa: ANN401
        """Change numeric knobs, e.g. ``update_settings(runSeconds=0)``."""
        return dict(self._call("PATCH", "settings", changes))

    def runs(self) -> dict[str, Any]:
        """Every report run, the orphans, and the most that ran at once.

        Keys: ``runs``, ``orphans`` (never read), ``peakRunning``.
        """
        return dict(self._call("GET", "runs"))

    def keys(self) -> list[dict[str, Any]]:
        """The API keys the sandbox accepts."""
        return list(self._call("GET", "keys")["keys"])

    def mailboxes(self) -> list[dict[str, Any]]:
        """Every mailbox, whatever the keys' allowlists."""
        return list(self._call("GET", "mailboxes")["mailboxes"])
