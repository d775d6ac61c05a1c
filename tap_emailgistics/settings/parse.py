"""The tap's settings checked and parsed, before any HTTP call (the schema: settings_schema)."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jsonschema import Draft7Validator

from tap_emailgistics.errors import SettingsError
from tap_emailgistics.settings.schema import CONFIG_SCHEMA, SECRET_SETTINGS
from tap_emailgistics.transport.host import base_url_problem

__all__ = [
    "CONFIG_SCHEMA",
    "SECRET_SETTINGS",
    "Settings",
    "check_settings",
    "numbers_from_text",
    "wall_clock",
]
LOGGER = logging.getLogger("tap-emailgistics")


@dataclass(frozen=True)
class Settings:
    """Parsed settings, after every check; defaults come from the schema alone."""

    base_url: str
    mailbox_ids: tuple[str, ...] | None
    start: datetime  # naive, mailbox-local wall clock
    end: datetime | None  # naive, mailbox-local wall clock; None = now per mailbox
    periods: tuple[str, ...]
    message_activity_types: tuple[str, ...]
    window_days: dict[str, int]  # only the periods the setting names
    rows_per_run: int
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
    time_budget_minutes: float | None
    run_error_retries: int
    rate_limit_wait_seconds: float
    run_journal: bool
    run_journal_dir: str | None


def check_settings(config: dict[str, Any], schema: dict[str, Any]) -> Settings:
    """Validate ``config`` against ``schema`` and the rules between settings."""
    config = numbers_from_text(config, schema)
    _check_schema(config, schema)

    def value(name: str) -> Any:  # noqa: ANN401 - the setting's own type
        default = schema["properties"][name].get("default")
        return config[name] if config.get(name) is not None else default

    if unsafe := base_url_problem(str(value("base_url"))):
        raise SettingsError(unsafe)
    start, end = _range(config)
    return Settings(
        base_url=str(value("base_url")).rstrip("/"),
        mailbox_ids=tuple(config["mailbox_ids"]) if config.get("mailbox_ids") else None,
        start=start,
        end=end,
        periods=tuple(dict.fromkeys(value("periods"))),
        message_activity_types=tuple(dict.fromkeys(value("message_activity_types"))),
        window_days=dict(config.get("window_days") or {}),
        rows_per_run=int(value("rows_per_run")),
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
        time_budget_minutes=_time_budget(config.get("time_budget_minutes")),
        run_error_retries=int(value("run_error_retries")),
        rate_limit_wait_seconds=float(value("rate_limit_wait_seconds")),
        run_journal=bool(value("run_journal")),
        run_journal_dir=config.get("run_journal_dir"),
    )


def _check_schema(config: dict[str, Any], schema: dict[str, Any]) -> None:
    """One line per setting that does not fit ``schema``, then one error line."""
    errors = sorted(Draft7Validator(schema).iter_errors(config), key=lambda e: list(e.path))
    problems = list(dict.fromkeys(_explain(error, schema) for error in errors))
    if len(problems) > 1:
        for problem in problems:
            LOGGER.error("%s", problem)
        msg = f"{len(problems)} settings need fixing (each on a line above)."
        raise SettingsError(msg)
    if problems:
        raise SettingsError(problems[0])


def _range(config: dict[str, Any]) -> tuple[datetime, datetime | None]:
    """``start_date`` and ``end_date`` as wall-clock times, the end after the start."""
    start = wall_clock(config["start_date"], "start_date")
    end = wall_clock(config["end_date"], "end_date") if config.get("end_date") else None
    if end is not None and end <= start:
        msg = (
            f"Setting end_date ({config['end_date']}) is not after start_date "
            f"({config['start_date']}): set a later end_date, or remove it to extract "
            "up to now."
        )
        raise SettingsError(msg)
    return start, end


def _time_budget(minutes: float | None) -> float | None:
    if minutes is not None and minutes <= 0:
        msg = (
            f"Setting time_budget_minutes ({minutes}) must be more than 0: set the minutes "
            "a sync may create report runs for, or remove it for no limit."
        )
        raise SettingsError(msg)
    return None if minutes is None else float(minutes)


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
    if where == "base_url" and error.validator == "pattern":
        return (
            f"Setting base_url ({error.instance}) is not just a scheme and host: give "
            "e.g. https://c1.emailgistics.com, without a path (leave out /api/v1) or query."
        )
    if where == "api_key" and error.validator == "minLength":
        return (
            f"Setting api_key has {len(error.instance)} characters, too few for an "
            "Emailgistics API key: paste the whole key."
        )
    if error.validator == "minItems":
        default = schema["properties"][where].get("default")
        shown_default = f" ({default})" if default else ""
        return (
            f"Setting {where} is an empty list: name at least one value, or remove the "
            f"setting to use its default{shown_default}."
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
