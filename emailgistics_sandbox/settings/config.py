"""Sandbox settings and API keys."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from emailgistics_sandbox.settings.faults import FaultRule

#: Chosen so that the default cutoff is the documentation's example
#: (2026-05-01T08:14 in America/New_York, with the default 15-minute lag).
DEFAULT_NOW = datetime(2026, 5, 1, 12, 29, tzinfo=UTC)
ALL_SCOPES = frozenset({"reporting", "messages:read", "messages:content"})
FULL_KEY = "sandbox-full-key"
NO_REPORTING_KEY = "sandbox-no-reporting-key"
#: Has ``reporting`` but not ``messages:read``: the message detail report answers 403.
REPORTING_ONLY_KEY = "sandbox-reporting-only-key"
LIMITED_KEY = "sandbox-limited-key"
EXPIRED_KEY = "sandbox-expired-key"


@dataclass(frozen=True)
class ApiKey:
    """An API key: its scopes, mailbox allowlist (None = every mailbox) and expiry."""

    key: str
    name: str
    account: str = "sandbox-account"
    scopes: frozenset[str] = ALL_SCOPES
    mailboxes: frozenset[str] | None = None
    denied_mailboxes: frozenset[str] = frozenset()
    expires: datetime = datetime(2099, 12, 31, tzinfo=UTC)

    def allows(self, mailbox_id: str) -> bool:
        """Whether the key's allowlist includes ``mailbox_id``."""
        if mailbox_id in self.denied_mailboxes:
            return False
        return self.mailboxes is None or mailbox_id in self.mailboxes

    def describe(self) -> dict[str, Any]:
        """A JSON-able description for the start-up banner and /_sandbox/keys."""
        return {
            "key": self.key,
            "name": self.name,
            "scopes": sorted(self.scopes),
            "mailboxes": "*" if self.mailboxes is None else sorted(self.mailboxes),
            "deniedMailboxes": sorted(self.denied_mailboxes),
            "expires": self.expires.isoformat(),
        }


def default_keys(denied_mailbox_id: str) -> list[ApiKey]:
    """The five keys every sandbox accepts unless a keys file replaces them."""
    return [
        ApiKey(FULL_KEY, "full"),
        ApiKey(NO_REPORTING_KEY, "no-reporting", scopes=frozenset({"messages:read"})),
        ApiKey(REPORTING_ONLY_KEY, "reporting-only", scopes=frozenset({"reporting"})),
        ApiKey(LIMITED_KEY, "limited", denied_mailboxes=frozenset({denied_mailbox_id})),
        ApiKey(EXPIRED_KEY, "expired", expires=datetime(2020, 1, 1, tzinfo=UTC)),
    ]


def load_keys(path: Path) -> list[ApiKey]:
    """Read keys from a JSON file: a list of objects shaped like ``describe()``."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    keys: list[ApiKey] = []
    for entry in entries:
        mailboxes = entry.get("mailboxes", "*")
        keys.append(
            ApiKey(
                key=entry["key"],
                name=entry.get("name", entry["key"][:8]),
                account=entry.get("account", "sandbox-account"),
                scopes=frozenset(entry.get("scopes", sorted(ALL_SCOPES))),
                mailboxes=None if mailboxes == "*" else frozenset(mailboxes),
                denied_mailboxes=frozenset(entry.get("deniedMailboxes", [])),
                expires=datetime.fromisoformat(entry.get("expires", "2099-12-31T00:00:00+00:00")),
            )
        )
    return keys


@dataclass
class SandboxSettings:
    """Everything that shapes a sandbox's behaviour; all of it has a CLI option."""

    seed: int = 7
    now: datetime = DEFAULT_NOW
    lag_minutes: int = 15
    run_seconds: float = 2.0
    run_seconds_per_row: float = 0.0  # a run lasts run_seconds + rows * this
    instant_rows: int = 0
    max_running_runs: int = 3
    requests_per_minute: int = 100
    result_ttl_hours: float = 24.0
    keys: list[ApiKey] | None = None  # None: default_keys()
    faults: list[FaultRule] = field(default_factory=list)
    fault_seed: int = 1
    # Readings of what the API docs leave open; each is a switch so the tap is tested
    # against every reading (see docs/sandbox.md).
    retry_after_header: bool = True  # 429s carry Retry-After (the docs name none)
    date_header: bool = True  # answers carry an HTTP Date from the sandbox clock
    sparse_rows: bool = False  # mailbox/user reports omit buckets without activity
    omit_null_probability: float = 0.0  # chance that a null metric is left out of a row
    #: How an ``end`` inside a repeated (DST fall-back) hour is read: "last" (the
    #: result reaches into the second occurrence) or "first" (the older reading).
    ambiguous_end: str = "last"
    #: Data set switch, fixed at start: this domain is active only in the second
    #: occurrence of every repeated hour (sparse rows in the fall-back hour).
    second_hour_domain: str | None = None
    #: Data set switch, fixed at start: this many more active mailboxes, with light
    #: activity, for measuring the tap over many partitions (benchmarks).
    extra_mailboxes: int = 0
    #: Another client of the same account keeps this many runs running (see neighbour/).
    neighbour_runs: int = 0
    neighbour_run_seconds: float | None = None  # None: as long as one of the tap's runs

    def run_duration(self, rows: int) -> float:
        """Real seconds a run of ``rows`` rows stays running (``instant_rows`` aside)."""
        return self.run_seconds + rows * self.run_seconds_per_row

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a PATCH from the control API (the live knobs of ``_KNOBS``)."""
        for name, value in changes.items():
            if name not in _KNOBS:
                msg = f"unknown setting {name!r}; known: {', '.join(_KNOBS)}"
                raise ValueError(msg)
            attribute, kind = _KNOBS[name]
            if kind is _reading and value not in {"first", "last"}:
                msg = f"{name} must be 'first' or 'last', got {value!r}"
                raise ValueError(msg)
            setattr(self, attribute, kind(value))

    def describe(self) -> dict[str, Any]:
        """The live knobs, as the control API names them, plus the data set's."""
        described = {name: getattr(self, attribute) for name, (attribute, _) in _KNOBS.items()}
        data = {"seed": self.seed, "secondHourDomain": self.second_hour_domain}
        return {**data, "extraMailboxes": self.extra_mailboxes, **described}


def _optional_float(value: Any) -> float | None:  # noqa: ANN401 - JSON number or null
    return None if value is None else float(value)


def _reading(value: Any) -> str:  # noqa: ANN401 - JSON string, checked by update()
    return str(value)


#: Control-API name -> (attribute, conversion) of every setting that can change while
#: running.
_KNOBS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "lagMinutes": ("lag_minutes", int),
    "runSeconds": ("run_seconds", float),
    "runSecondsPerRow": ("run_seconds_per_row", float),
    "instantRows": ("instant_rows", int),
    "maxRunningRuns": ("max_running_runs", int),
    "requestsPerMinute": ("requests_per_minute", int),
    "resultTtlHours": ("result_ttl_hours", float),
    "retryAfterHeader": ("retry_after_header", bool),
    "dateHeader": ("date_header", bool),
    "sparseRows": ("sparse_rows", bool),
    "omitNullProbability": ("omit_null_probability", float),
    "ambiguousEnd": ("ambiguous_end", _reading),
    "neighbourRuns": ("neighbour_runs", int),
    "neighbourRunSeconds": ("neighbour_run_seconds", _optional_float),
}
