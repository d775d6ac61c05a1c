"""The ``/_sandbox`` control surface: clock, log, truth, faults, directory, neighbour.

It lives off the ``/api/v1`` surface and never needs an API key: it is for tests,
benchmarks and demos, not for the tap.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from emailgistics_sandbox.api.catalog import REPORT_NAMES, build_query, compute
from emailgistics_sandbox.api.endpoints import Answer
from emailgistics_sandbox.runs.store import ApiError
from emailgistics_sandbox.settings.config import ApiKey
from emailgistics_sandbox.settings.faults import FaultRule
from emailgistics_sandbox.truth.message_detail import MESSAGE_DETAIL
from emailgistics_sandbox.truth.reports import ReportQuery, truth_rows

if TYPE_CHECKING:
    from emailgistics_sandbox.api.state import SandboxState

_UNITS = ("seconds", "minutes", "hours", "days")


def handle_control(state: SandboxState, method: str, path: str, raw: bytes) -> Answer:
    """Answer one control request."""
    try:
        body = json.loads(raw or b"{}")
        route = _ROUTES.get((method, path))
        if route is None:
            return Answer(404, {"error": f"no control endpoint {method} {path}"})
        return Answer(200, route(state, body))
    except (ValueError, TypeError, KeyError) as error:
        return Answer(400, {"error": str(error)})
    except ApiError as error:
        return Answer(error.status, error.body())


def _clock(state: SandboxState, _body: Any) -> dict[str, Any]:  # noqa: ANN401
    return {
        "now": state.clock.now().isoformat(),
        "dataVisibleUntil": state.visible_until().isoformat(),
    }


def _set_clock(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    state.clock.set(datetime.fromisoformat(body["now"]))
    return _clock(state, body)


def _advance_clock(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - set(_UNITS)
    if unknown:
        msg = f"unknown unit(s) {sorted(unknown)}; use {', '.join(_UNITS)}"
        raise ValueError(msg)
    state.clock.advance(timedelta(**{k: float(v) for k, v in body.items()}))
    return _clock(state, body)


def _requests(state: SandboxState, _body: Any) -> dict[str, Any]:  # noqa: ANN401
    return {"requests": state.log.entries()}


def _clear_requests(state: SandboxState, _body: Any) -> dict[str, Any]:  # noqa: ANN401
    state.log.clear()
    return {"requests": []}


def _truth(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    # Ground truth answers for any mailbox, whatever a key's allowlist says.
    report = body.get("report")
    if report not in REPORT_NAMES:
        msg = f"'report' must be one of {', '.join(REPORT_NAMES)}"
        raise ValueError(msg)
    # The message detail report refuses fields it does not know: pass only the body's.
    fields = {k: v for k, v in body.items() if k not in _TRUTH_FIELDS}
    report_body = fields if report == MESSAGE_DETAIL else body
    query = build_query(
        state, _truth_query(body), report_body, _ORACLE_KEY, report, include_removed=True
    )
    visible = state.visible_until()
    if isinstance(query, ReportQuery):
        return {"timeZone": query.mailbox.time_zone, "rows": truth_rows(query, visible)}
    # Message rows are the API's rows, all of them (no paging, no ids), and the cutoff.
    result = compute(query, visible)
    answer: dict[str, Any] = {"timeZone": query.mailbox.time_zone, "rows": result.rows}
    cutoff = result.cutoff_local(query.mailbox.time_zone)
    if cutoff is not None:
        answer["dataCutoffTimestamp"] = cutoff
    return answer


_ORACLE_KEY = ApiKey("oracle", "oracle")
_TRUTH_FIELDS = frozenset({"report", "fieldGroup", "includeDetails"})


def _truth_query(body: dict[str, Any]) -> dict[str, str]:
    query = {}
    if "fieldGroup" in body:
        query["fieldGroup"] = str(body["fieldGroup"])
    if body.get("includeDetails"):
        query["includeDetails"] = "true"
    return query


def _faults(state: SandboxState, _body: Any) -> dict[str, Any]:  # noqa: ANN401
    return {"faults": [rule.to_json() for rule in state.faults.rules]}


def _set_faults(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    state.faults.replace([FaultRule.from_json(rule) for rule in body["faults"]])
    return _faults(state, body)


def _settings(state: SandboxState, _body: Any) -> dict[str, Any]:  # noqa: ANN401
    return state.settings.describe()


def _patch_settings(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    state.settings.update(body)
    return state.settings.describe()


def _runs(state: SandboxState, _body: Any) -> dict[str, Any]:  # noqa: ANN401
    runs = [run.describe() for run in state.runs.all()]
    return {
        "runs": runs,
        "orphans": sum(run["orphan"] for run in runs),
        "peakRunning": state.runs.peak_running(),
    }


def _keys(state: SandboxState, _body: Any) -> dict[str, Any]:  # noqa: ANN401
    return {"keys": [key.describe() for key in state.keys.values()]}


def _all_mailboxes(state: SandboxState, _body: Any) -> dict[str, Any]:  # noqa: ANN401
    # The directory as the API would list it now, whatever the keys' allowlists, and
    # what was removed from it (see truth/directory.py).
    return {"mailboxes": state.mailbox_list(_ORACLE_KEY), "removed": state.directory.describe()}


def _remove_from_directory(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    state.directory.remove(body)
    return {"removed": state.directory.describe()}


def _restore_directory(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    state.directory.restore(body)
    return {"removed": state.directory.describe()}


def _neighbour(state: SandboxState, _body: Any) -> dict[str, Any]:  # noqa: ANN401
    return state.neighbour.describe()


def _health(_state: SandboxState, _body: Any) -> dict[str, Any]:  # noqa: ANN401
    return {"ok": True}


_ROUTES = {
    ("GET", "/_sandbox/health"): _health,
    ("GET", "/_sandbox/clock"): _clock,
    ("PUT", "/_sandbox/clock"): _set_clock,
    ("POST", "/_sandbox/clock/advance"): _advance_clock,
    ("GET", "/_sandbox/requests"): _requests,
    ("DELETE", "/_sandbox/requests"): _clear_requests,
    ("POST", "/_sandbox/truth"): _truth,
    ("GET", "/_sandbox/faults"): _faults,
    ("PUT", "/_sandbox/faults"): _set_faults,
    ("GET", "/_sandbox/settings"): _settings,
    ("PATCH", "/_sandbox/settings"): _patch_settings,
    ("GET", "/_sandbox/keys"): _keys,
    ("GET", "/_sandbox/runs"): _runs,
    ("GET", "/_sandbox/mailboxes"): _all_mailboxes,
    ("POST", "/_sandbox/directory/remove"): _remove_from_directory,
    ("POST", "/_sandbox/directory/restore"): _restore_directory,
    ("GET", "/_sandbox/neighbour"): _neighbour,
}
