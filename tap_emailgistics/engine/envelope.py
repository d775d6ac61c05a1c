"""The documented result envelope, read strictly: what it says, or why it cannot be read.

The same shape answers a report POST, every poll and every page. Nothing here infers
from absence: a missing status, an unknown status, a ``done`` answer without a result
object or without a ``data`` array is a refusal, never "complete and empty".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: The statuses the API documents. The API may add values; an unknown one is refused.
RUN_STATUSES = ("running", "done", "error")


class EnvelopeError(ValueError):
    """What is wrong with an answer, in words; the run engine adds where it came from."""


@dataclass(frozen=True)
class Envelope:
    """One answer of a report run, as far as the tap relies on it."""

    status: str
    progress: int | None
    self_href: str | None
    next_href: str | None
    rows: list[dict[str, Any]]
    total: int | None
    cutoff: str | None  # ``dataCutoffTimestamp`` as sent (mailbox-local wall clock)
    time_zone: str | None
    error: str | None  # "<code> <message>" when status is error


def read_envelope(body: object) -> Envelope:
    """Check ``body`` against the documented envelope and return what it says."""
    if not isinstance(body, dict):
        msg = f"the answer is a JSON {type(body).__name__}, not the documented envelope object"
        raise EnvelopeError(msg)
    status = body.get("status")
    if status is None:
        msg = "the answer has no status"
        raise EnvelopeError(msg)
    if status not in RUN_STATUSES:
        msg = (
            f"the run's status {status!r} is not one the tap knows ({', '.join(RUN_STATUSES)}); "
            "the tap does not treat it as done. Upgrade the tap if the API added it"
        )
        raise EnvelopeError(msg)
    links = body.get("_links")
    if status == "error":
        return _error_envelope(body, links if isinstance(links, dict) else {})
    if not isinstance(links, dict):
        msg = f"a {status!r} answer has no _links"
        raise EnvelopeError(msg)
    result = body.get("result")
    if status == "done":
        return _done_envelope(body, links, result)
    return _running_envelope(body, links, result)


def _error_envelope(body: dict[str, Any], links: dict[str, Any]) -> Envelope:
    error = body.get("error")
    details: dict[str, Any] = error if isinstance(error, dict) else {}
    text = f"{details.get('code', '?')} {details.get('message', 'no message')}"
    return Envelope("error", None, _href(links, "self"), None, [], None, None, None, text)


def _running_envelope(body: dict[str, Any], links: dict[str, Any], result: object) -> Envelope:
    self_href = _required_href(links, "self", "running")
    if result is not None and not isinstance(result, dict):
        msg = "a 'running' answer has a result that is not an object"
        raise EnvelopeError(msg)
    if (result or {}).get("data"):
        msg = "a 'running' answer already carries rows"
        raise EnvelopeError(msg)
    return Envelope("running", _progress(body), self_href, None, [], None, None, None, None)


def _done_envelope(body: dict[str, Any], links: dict[str, Any], result: object) -> Envelope:
    self_href = _required_href(links, "self", "done")
    if not isinstance(result, dict):
        msg = "a 'done' answer has no result object"
        raise EnvelopeError(msg)
    rows = result.get("data")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        msg = "a 'done' answer's result.data is not an array of row objects"
        raise EnvelopeError(msg)
    return Envelope(
        status="done",
        progress=_progress(body),
        self_href=self_href,
        next_href=_href(links, "next"),
        rows=rows,
        total=_total(result.get("total")),
        cutoff=_cutoff(result.get("dataCutoffTimestamp")),
        time_zone=_optional_text(result.get("timeZone"), "result.timeZone"),
        error=None,
    )


def _href(links: dict[str, Any], name: str) -> str | None:
    link = links.get(name)
    if link is None:
        return None
    if not isinstance(link, dict) or not isinstance(link.get("href"), str):
        msg = f"_links.{name} has no href"
        raise EnvelopeError(msg)
    return str(link["href"])


def _required_href(links: dict[str, Any], name: str, status: str) -> str:
    href = _href(links, name)
    if href is None:
        msg = f"a {status!r} answer has no _links.{name}"
        raise EnvelopeError(msg)
    return href


def _progress(body: dict[str, Any]) -> int | None:
    progress = body.get("progress")
    return progress if isinstance(progress, int) and not isinstance(progress, bool) else None


def _total(value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    msg = f"result.total is {value!r}, not a row count or null"
    raise EnvelopeError(msg)


def _cutoff(value: object) -> str | None:
    # An explicit null says the same as the documented absence: no cutoff on this result.
    text = _optional_text(value, "result.dataCutoffTimestamp")
    if text is not None:
        try:
            datetime.fromisoformat(text)
        except ValueError:
            msg = f"result.dataCutoffTimestamp {text!r} is not an ISO 8601 date-time"
            raise EnvelopeError(msg) from None
    return text


def _optional_text(value: object, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    msg = f"{name} is {value!r}, not a string"
    raise EnvelopeError(msg)
