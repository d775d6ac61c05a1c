"""Fault injection: seeded, rule based, off unless configured.

A rule fires on a matching request (or run) with its probability, at most ``times``
times. Request faults: ``http_error``, ``rate_limit_burst``, ``connection_reset``,
``slow``, ``truncated_json``, ``queue_then_fail`` (a report POST queues its run, then
answers ``status``: the documented "a POST that failed may still have queued a run"),
``echo_credentials`` (answers ``status`` with an error message that echoes the
request's ``Authorization`` header, as some servers do) and ``malformed_answer``
(a 200 whose body has the wrong ``shape``: ``array``, ``html``, ``no_start`` for rows
without ``startDateTime``, ``bad_cutoff`` for a cutoff in an unknown format).
Run faults, decided when a run is created:
``run_error`` (the run ends in ``status: error``) and ``expire_mid_paging`` (the
result answers 404 after ``after_pages`` pages were read).

``path`` (a substring), ``method``, ``mailbox_id``, ``report`` and ``page`` narrow where
a rule fires (``report``: a report POST of it, and the results GETs of its runs;
``page=last``: only a GET whose answer would be a result's last page, ``done`` with no
next link: the page a client reads last, after every other request of the run). A run's
mailbox is its report's; a request's mailbox is its body's ``mailboxId`` for a report
POST and the mailbox of the run it reads for a results GET. A request that names no
mailbox (the mailbox list, an unknown result id) never matches a rule with a
``mailbox_id``. Once a ``rate_limit_burst`` fired, its further 429s hit whatever
requests come next, as an account-wide limit would.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

REQUEST_FAULTS = frozenset(
    {
        "http_error",
        "rate_limit_burst",
        "connection_reset",
        "slow",
        "truncated_json",
        "queue_then_fail",
        "echo_credentials",
        "malformed_answer",
    }
)
RUN_FAULTS = frozenset({"run_error", "expire_mid_paging"})
ALL_FAULTS = REQUEST_FAULTS | RUN_FAULTS


@dataclass
class FaultRule:
    """One kind of fault and where it applies."""

    kind: str
    probability: float = 1.0
    times: int | None = None
    status: int = 503
    seconds: float = 1.0
    burst: int = 3
    mailbox_id: str | None = None
    report: str | None = None
    path: str | None = None
    method: str | None = None
    after_pages: int = 1
    shape: str = "array"
    page: str = ""  # "" any request; "last": a result's last page only
    fired: int = 0

    def __post_init__(self) -> None:
        """Reject unknown kinds early, with the list of known ones."""
        if self.kind not in ALL_FAULTS:
            msg = f"unknown fault kind {self.kind!r}; known: {', '.join(sorted(ALL_FAULTS))}"
            raise ValueError(msg)
        if self.page not in {"", "last"}:
            msg = f"unknown fault page {self.page!r}; known: last (or leave it out)"
            raise ValueError(msg)

    @classmethod
    def parse(cls, text: str) -> FaultRule:
        """Parse ``kind[:name=value,...]``, e.g. ``http_error:probability=0.1,status=502``."""
        kind, _, options = text.partition(":")
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for option in filter(None, options.split(",")):
            name, _, raw = option.partition("=")
            name = name.strip()
            if name not in types or name in {"kind", "fired"}:
                msg = f"unknown fault option {name!r} in {text!r}"
                raise ValueError(msg)
            values[name] = _coerce(str(types[name]), raw.strip())
        return cls(kind=kind.strip(), **values)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        """Build a rule from the control API's JSON (snake_case field names)."""
        return cls(**{k: v for k, v in data.items() if k != "fired"})

    def to_json(self) -> dict[str, Any]:
        """The rule as JSON, with how often it fired."""
        return asdict(self)


def _coerce(type_name: str, raw: str) -> Any:  # noqa: ANN401 - depends on the field
    if "float" in type_name:
        return float(raw)
    if "int" in type_name:
        return int(raw)
    return raw


class FaultInjector:
    """Decides, with a seeded generator, which configured faults fire."""

    def __init__(self, rules: list[FaultRule], seed: int) -> None:
        """Start with ``rules`` and a generator seeded with ``seed``."""
        self._rules = list(rules)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._burst_left = 0
        self._burst_rule: FaultRule | None = None

    @property
    def rules(self) -> list[FaultRule]:
        """The active rules."""
        return list(self._rules)

    def replace(self, rules: list[FaultRule]) -> None:
        """Swap in a new rule list (the control API's PUT)."""
        with self._lock:
            self._rules = list(rules)
            self._burst_left = 0

    def for_request(
        self,
        method: str,
        path: str,
        mailbox_id: str | None = None,
        last_page: Callable[[], bool] | None = None,
        *,
        report: str | None = None,
    ) -> FaultRule | None:
        """The request fault to apply to this request (about ``mailbox_id``), if any.

        ``last_page``: whether the answer would be a result's last page (asked only of
        rules with ``page=last``); ``report``: the report the request is about.
        """
        with self._lock:
            if self._burst_left and self._burst_rule is not None:
                self._burst_left -= 1
                return self._burst_rule
            for rule in self._rules:
                if rule.report and rule.report != report:
                    continue
                if rule.page and (last_page is None or not last_page()):
                    continue
                if rule.kind in REQUEST_FAULTS and self._fires(rule, method, path, mailbox_id):
                    if rule.kind == "rate_limit_burst":
                        self._burst_left, self._burst_rule = rule.burst - 1, rule
                    return rule
        return None

    def for_run(self, kind: str, mailbox_id: str) -> FaultRule | None:
        """The run fault of ``kind`` for a new run on ``mailbox_id``, if any."""
        with self._lock:
            for rule in self._rules:
                if rule.kind == kind and self._fires(rule, None, None, mailbox_id):
                    return rule
        return None

    def _fires(
        self, rule: FaultRule, method: str | None, path: str | None, mailbox: str | None
    ) -> bool:
        if rule.times is not None and rule.fired >= rule.times:
            return False
        if rule.path and (path is None or rule.path not in path):
            return False
        if rule.method and method is not None and rule.method.upper() != method:
            return False
        if rule.mailbox_id and rule.mailbox_id != mailbox:  # no mailbox never matches one
            return False
        if self._random.random() >= rule.probability:
            return False
        rule.fired += 1
        return True
