"""The registry and schemas/ agree: a new report or group is an entry plus a schema file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tap_emailgistics.registry import StreamDefinition, stream_definitions

SCHEMAS = Path(__file__).parents[2] / "schemas"
ADDED_BY_THE_TAP = {
    "mailboxId",
    "period",
    "timeZone",
    "startDateTimeUtc",
    "isFinal",
    "dataCutoffTimestamp",
    "extraFields",
    "id",
    "startDateTime",
}


@pytest.mark.parametrize("definition", stream_definitions(), ids=lambda d: d.name)
def test_given_a_registry_stream_when_its_schema_is_read_then_every_column_is_declared(
    definition: StreamDefinition,
) -> None:
    schema = json.loads((SCHEMAS / f"{definition.name}.json").read_text(encoding="utf-8"))
    properties = set(schema["properties"])
    assert set(definition.metric_columns) <= properties
    assert set(definition.primary_keys) <= properties
    assert properties >= ADDED_BY_THE_TAP
    for column in definition.metric_columns:
        assert "null" in schema["properties"][column]["type"], f"{column} must be nullable"


def test_given_the_schemas_folder_when_listed_then_it_holds_exactly_the_streams() -> None:
    names = {p.stem for p in SCHEMAS.glob("*.json")}
    expected = {d.name for d in stream_definitions()}
    assert names == {"mailboxes", "mailbox_users", "mailbox_tags", *expected}
