"""The tap's settings: their JSON Schema and their checks, before any HTTP call."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jsonschema import Draft7Validator
from singer_sdk import typing as th

from tap_emailgistics.errors import SettingsError
from tap_emailgistics.transport.host import base_url_problem
from tap_emailgistics.transport.redaction import MIN_SECRET_LENGTH
from tap_emailgistics.windows import PERIODS

DEFAULT_BASE_URL = "https://c1.emailgistics.com"
DEFAULT_WINDOW_DAYS = {"hour": 7, "day": 92, "week": 364, "month": 1096}


def _window_days() -> th.ObjectType:
    return th.ObjectType(
        *(
            th.Property(
                p,
                th.IntegerType(minimum=1),
                title=f"{p.title()} window (days)",
                description=f"Longest range of one {p} report run, in days "
                f"(default {DEFAULT_WINDOW_DAYS[p]}).",
            )
            for p in PERIODS
        ),
        additional_properties=False,
    )


CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "api_key",
        th.StringType(min_length=MIN_SECRET_LENGTH),
        required=True,
        secret=True,
        title="API key",
        description="Emailgistics API key (Bearer). Needs the `reporting` scope and "
        "every extracted mailbox in its allowlist. Sent only to `base_url`.",
    ),
    th.Property(
        "base_url",
        th.StringType(pattern=r"^https?://[^/?#]+/?$"),
        default=DEFAULT_BASE_URL,
        title="Base URL",
        description="Scheme and host of your Emailgistics region, without a path. "
        "https, except for localhost (the sandbox).",
    ),
    th.Property(
        "mailbox_ids",
        th.ArrayType(th.StringType(min_length=1)),
        title="Mailbox IDs",
        description="Mailboxes to extract. Default: every active mailbox the key can "
        "see. An id the key cannot see stops the run before any report is requested.",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        required=True,
        title="Start date",
        description="Earliest period to extract for a mailbox/period without state. "
        "Read as wall-clock time in each mailbox's zone (an offset or Z is ignored), "
        "so 2026-01-01 is local midnight in every mailbox.",
    ),
    th.Property(
        "end_date",
        th.DateTimeType,
        title="End date",
        description="Extract periods up to this mailbox-local wall-clock time "
        "(exclusive, rounded up to a whole period). Default: now in each mailbox's zone.",
    ),
    th.Property(
        "periods",
        th.ArrayType(th.StringType(allowed_values=list(PERIODS))),
        default=["day"],
        title="Periods",
        description="Report periods to extract (hour, day, week, month); each is its "
        "own partition with its own rows and bookmark.",
    ),
    th.Property(
        "users",
        th.ArrayType(th.StringType(min_length=1)),
        title="Users",
        description="User ids for the user reports ('unknown' = activity with no "
        "identifiable user). Default: every user of the mailbox.",
    ),
    th.Property(
        "domains",
        th.ArrayType(th.StringType(min_length=1)),
        title="Domains",
        description="Sender domains for the domain reports (exact, case-insensitive). "
        "Default: every domain with activity.",
    ),
    th.Property(
        "include_details",
        th.BooleanType,
        default=False,
        title="Include details",
        description="Add userName, userEmail and userActive to user report rows.",
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1, maximum=500),
        default=500,
        title="Page size",
        description="Rows per result page (the API caps it at 500).",
    ),
    th.Property(
        "poll_initial_seconds",
        th.NumberType(minimum=0),
        default=2,
        title="Shortest poll wait (s)",
        description="Floor of every poll wait. A run is polled when its progress says it "
        "will end (within this floor and the cap); without progress the wait starts "
        "here and doubles each poll.",
    ),
    th.Property(
        "poll_max_seconds",
        th.NumberType(minimum=0),
        default=30,
        title="Longest poll wait (s)",
        description="Cap of every poll wait.",
    ),
    th.Property(
        "poll_jitter",
        th.NumberType(minimum=0, maximum=1),
        default=0.2,
        title="Poll jitter",
        description="Random extra fraction (0-1) added to each poll wait.",
    ),
    th.Property(
        "max_concurrent_runs",
        th.IntegerType(minimum=1),
        default=3,
        title="Report runs at once",
        description="Most report runs the tap keeps running at once, across all "
        "streams, started ahead of the stream that reads them. The API allows 3 per "
        "account, shared with its other clients. 1 runs them one after another.",
    ),
    th.Property(
        "state_interval_seconds",
        th.NumberType(minimum=0),
        default=60,
        title="STATE interval (s)",
        description="A STATE message goes out when the rows sent since the last one "
        "outweigh the state itself, or after this many seconds, and always at the end "
        "and on shutdown. A crash loses at most that much finished work, which the "
        "next run reads again. 0 writes one after every verified window.",
    ),
    th.Property(
        "run_deadline_minutes",
        th.NumberType(minimum=0),
        default=45,
        title="Run deadline (min)",
        description="Give up on a report run still running after this many minutes.",
    ),
    th.Property(
        "run_error_retries",
        th.IntegerType(minimum=0),
        default=2,
        title="Run error retries",
        description="How often a report run that ended in status 'error', or whose "
        "POST failed, is re-created before the mailbox/period fails.",
    ),
    th.Property(
        "requests_per_minute",
        th.IntegerType(minimum=1),
        default=90,
        title="Requests per minute",
        description="Pace of this tap's requests, polls included. The account allows "
        "100/min shared by all its keys: leave headroom for other clients.",
    ),
    th.Property(
        "rate_limit_wait_seconds",
        th.NumberType(minimum=0),
        default=60,
        title="Rate-limit wait (s)",
        description="Wait after a 429 that carries no Retry-After, doubling on each "
        "further 429. The API docs ask for at least a minute.",
    ),
    th.Property(
        "window_days",
        _window_days(),
        title="Window sizes (days)",
        description="Longest range per report run, by period. Default: hour 7, "
        "day 92, week 364, month 1096.",
    ),
).to_dict()
CONFIG_SCHEMA["additionalProperties"] = False
#: Settings whose values must never be printed (``secret`` in the schema).
SECRET_SETTINGS = tuple(n for n, p in CONFIG_SCHEMA["properties"].items() if p.get("secret"))


@dataclass(frozen=True)
class Settings:
    """Parsed settings, after every check; defaults come from the schema alone."""

    base_url: str
    mailbox_ids: tuple[str, ...] | None
    start: datetime  # naive, mailbox-local wall clock
    end: datetime | None  # naive, mailbox-local wall clock; None = now per mailbox
    periods: tuple[str, ...]
    window_days: dict[str, int]
    filters: dict[str, list[str]]  # setting name -> values (users, domains)
    include_details: bool
    page_size: int
    requests_per_minute: int
    poll_initial_seconds: float
    poll_max_seconds: float
    poll_jitter: float
    max_concurrent_runs: int
    state_interval_seconds: float
    run_deadline_minutes: float
    run_error_retries: int
    rate_limit_wait_seconds: float


def check_settings(config: dict[str, Any], schema: dict[str, Any]) -> Settings:
    """Validate ``config`` against ``schema`` and the rules between settings."""
    config = numbers_from_text(config, schema)
    errors = sorted(Draft7Validator(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        raise SettingsError(_explain(errors[0], schema))

    def value(name: str) -> Any:  # noqa: ANN401 - the setting's own type
        default = schema["properties"][name].get("default")
        return config[name] if config.get(name) is not None else default

    if problem := base_url_problem(str(value("base_url"))):
        raise SettingsError(problem)
    start = wall_clock(config["start_date"], "start_date")
    end = wall_clock(config["end_date"], "end_date") if config.get("end_date") else None
    if end is not None and end <= start:
        msg = (
            f"Setting end_date ({config['end_date']}) is not after start_date "
            f"({config['start_date']}): set a later end_date, or remove it to extract "
            "up to now."
        )
        raise SettingsError(msg)
    return Settings(
        base_url=str(value("base_url")).rstrip("/"),
        mailbox_ids=tuple(config["mailbox_ids"]) if config.get("mailbox_ids") else None,
        start=start,
        end=end,
        periods=tuple(dict.fromkeys(value("periods"))),
        window_days={**DEFAULT_WINDOW_DAYS, **(config.get("window_days") or {})},
        filters={name: list(config[name]) for name in ("users", "domains") if config.get(name)},
        include_details=bool(value("include_details")),
        page_size=int(value("page_size")),
        requests_per_minute=int(value("requests_per_minute")),
        poll_initial_seconds=float(value("poll_initial_seconds")),
        poll_max_seconds=float(value("poll_max_seconds")),
        poll_jitter=float(value("poll_jitter")),
        max_concurrent_runs=int(value("max_concurrent_runs")),
        state_interval_seconds=float(value("state_interval_seconds")),
        run_deadline_minutes=float(value("run_deadline_minutes")),
        run_error_retries=int(value("run_error_retries")),
        rate_limit_wait_seconds=float(value("rate_limit_wait_seconds")),
    )


def numbers_from_text(config: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """``config`` with numeric settings given as text (``"0.5"``) read as numbers.

    Meltano 4.4 cannot pass a ``decimal``-kind setting from an environment variable,
    so the plugin declares numbers as ``string`` and they arrive as text.
    """
    parsed = dict(config)
    for name, value in config.items():
        types = schema["properties"].get(name, {}).get("type", [])
        if not isinstance(value, str) or not {"number", "integer"} & set(types):
            continue
        try:
            number = float(value)
        except ValueError:
            continue  # the schema check names the setting and the value
        if not math.isfinite(number):
            continue
        parsed[name] = int(number) if "integer" in types and number.is_integer() else number
    return parsed


def _explain(error: Any, schema: dict[str, Any]) -> str:  # noqa: ANN401 - a jsonschema error
    if error.validator == "additionalProperties" and not error.path:
        known = ", ".join(sorted(schema["properties"]))
        unknown = ", ".join(sorted(set(error.instance) - set(schema["properties"])))
        return f"Unknown setting(s): {unknown}. Check the spelling; known settings: {known}."
    if error.validator == "required":
        name = error.message.split("'")[1]
        return f"Setting {name} is required: set it in your config or meltano.yml."
    where = ".".join(str(p) for p in error.path) or "config"
    if where == "api_key" and error.validator == "minLength":
        return (
            f"Setting api_key has {len(error.instance)} characters, too few for an "
            "Emailgistics API key: paste the whole key."
        )
    shown = "<secret>" if where == "api_key" else repr(error.instance)
    reason = error.message.replace(repr(error.instance), "the value")
    return f"Setting {where} is invalid ({shown}): {reason}."


_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


def wall_clock(value: str, setting: str) -> datetime:
    """A date or date-time setting as naive wall-clock time (any offset is ignored)."""
    text = _OFFSET.sub("", value.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        msg = (
            f"Setting {setting} is not an ISO 8601 date or date-time ({value!r}): "
            "use e.g. 2026-01-01 or 2026-01-01T00:00:00."
        )
        raise SettingsError(msg) from None
    return parsed.replace(tzinfo=None)
