"""The report streams' JSON Schemas, assembled from the registry and the column catalog.

``python -m tap_emailgistics.catalog.schema_files`` (re)writes ``schemas/<stream>.json`` for
every report stream; a test fails when a committed file differs from what this
produces. The directory streams' schemas (``mailboxes``, ...) are written by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tap_emailgistics.catalog.columns import (
    DETAILS,
    DIMENSIONS,
    LEADING,
    MESSAGE_DETAILS,
    MESSAGE_LEADING,
    MESSAGE_TRAILING,
    MESSAGES,
    METRICS,
    TRAILING,
)
from tap_emailgistics.catalog.registry import StreamDefinition, stream_definitions

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def report_schema(definition: StreamDefinition) -> dict[str, Any]:
    """The schema of one report stream: key columns, dimension, details, metrics, facts."""
    report = definition.report
    columns = _activity_columns(definition) if report.kind == "activity" else {}
    if not columns:
        columns = dict(LEADING)
        if report.dimension:
            columns[report.dimension] = DIMENSIONS[report.dimension]
        if report.supports_details:
            columns.update(DETAILS)
        columns.update({name: METRICS[name] for name in definition.metric_columns})
        columns.update(TRAILING)
    groups = ", ".join(definition.field_groups)
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": columns,
        "description": f"{report.path} report, field groups {groups}: one row per "
        f"{report.row} of each mailbox.",
    }


def _activity_columns(definition: StreamDefinition) -> dict[str, dict[str, Any]]:
    """A message row: the tap's key columns, the message's, its owner's details, facts."""
    columns = {**MESSAGE_LEADING}
    columns.update({name: MESSAGES[name] for name in definition.metric_columns})
    if definition.report.supports_details:
        columns.update(MESSAGE_DETAILS)
    return {**columns, **MESSAGE_TRAILING}


def schema_text(definition: StreamDefinition) -> str:
    """The file's text, as committed."""
    return json.dumps(report_schema(definition), indent=2) + "\n"


def main() -> None:
    """Write every report stream's schema file; name the files that changed."""
    for definition in stream_definitions():
        target = SCHEMAS / f"{definition.name}.json"
        text = schema_text(definition)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            sys.stdout.write(f"wrote {target.relative_to(SCHEMAS.parent)}\n")


if __name__ == "__main__":
    main()
