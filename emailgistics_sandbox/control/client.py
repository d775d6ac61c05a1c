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
        """Expected rows for a report query, at the sandbox's clock.

        ``query``: the API's body fields plus ``report`` and, optionally, ``fieldGroup``
        and ``includeDetails``. Aggregate rows add ``isFinal`` and ``startDateTimeUtc``;
        ``receivedMessageDetail`` rows are the API's rows without ``id``, every page.
        """
        return list(self.truth_result(**query)["rows"])

    def truth_result(self, **query: Any) -> dict[str, Any]:  # noqa: ANN401
        """The whole truth answer: ``timeZone``, ``rows`` and the cutoff, if any.

        ``dataCutoffTimestamp`` is there for ``receivedMessageDetail`` when the range
        reaches past the visible time (aggregate rows carry ``isFinal`` instead).
        """
        return dict(self._call("POST", "truth", query))

    def set_faults(self, faults: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the fault rules (see ``emailgistics_sandbox.settings.faults``)."""
        return list(self._call("PUT", "faults", {"faults": faults})["faults"])

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules and how often each fired."""
        return list(self._call("GET", "faults")["faults"])

    def update_settings(self, **changes: Any) -> dict[str, Any]:  # noqa: ANN401
        """Change numeric knobs, e.g. ``update_settings(runSeconds=0)``."""
        return dict(self._call("PATCH", "settings", changes))

    def runs(self) -> dict[str, Any]:
        """Every report run, the orphans, and the most that ran at once.

        Keys: ``runs`` (each with ``key``: the name of the key that started it, e.g.
        ``full`` or ``neighbour``), ``orphans`` (never read), ``peakRunning`` (any key).
        """
        return dict(self._call("GET", "runs"))

    def keys(self) -> list[dict[str, Any]]:
        """The API keys the sandbox accepts."""
        return list(self._call("GET", "keys")["keys"])

    def mailboxes(self) -> list[dict[str, Any]]:
        """Every mailbox the API lists now, whatever the keys' allowlists."""
        return list(self._call("GET", "mailboxes")["mailboxes"])

    def removed_from_directory(self) -> dict[str, list[Any]]:
        """What was removed: ``mailboxes`` (ids), ``users`` and ``tags`` (id pairs)."""
        return dict(self._call("GET", "mailboxes")["removed"])

    def remove_from_directory(
        self, mailbox_id: str, *, user_id: str | None = None, tag_id: str | None = None
    ) -> dict[str, list[Any]]:
        """Remove a mailbox, or one of its users or tags, from what the API lists."""
        body = _directory_body(mailbox_id, user_id, tag_id)
        return dict(self._call("POST", "directory/remove", body)["removed"])

    def restore_directory(
        self,
        mailbox_id: str | None = None,
        *,
        user_id: str | None = None,
        tag_id: str | None = None,
    ) -> dict[str, list[Any]]:
        """Undo one removal (same arguments as ``remove_from_directory``); none: all."""
        body = {} if mailbox_id is None else _directory_body(mailbox_id, user_id, tag_id)
        return dict(self._call("POST", "directory/restore", body)["removed"])

    def neighbour(self) -> dict[str, Any]:
        """The other client's counters.

        Keys: ``runsCreated``, ``creationsRefused`` (429 on the run cap), ``runsRead``,
        ``requestsMade``, ``requestsRefused`` (429 on the request rate), ``running``,
        ``target`` (the ``neighbourRuns`` knob).
        """
        return dict(self._call("GET", "neighbour"))


def _directory_body(mailbox_id: str, user_id: str | None, tag_id: str | None) -> dict[str, str]:
    body = {"mailboxId": mailbox_id}
    if user_id is not None:
        body["userId"] = user_id
    if tag_id is not None:
        body["tagId"] = tag_id
    return body
