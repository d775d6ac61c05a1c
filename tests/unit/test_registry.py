"""The registry and schemas/ agree: a new report or group is an entry, then generation."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from tap_emailgistics.catalog.registry import REPORTS, StreamDefinition, stream_definitions
from tap_emailgistics.catalog.schema_files import report_schema, schema_text

SCHEMAS = Path(__file__).parents[2] / "schemas"
ADDED_TO_MESSAGES = {
    "mailboxId",
    "activityType",
    "timeZone",
    "asOfUtc",
    "isFinal",
    "dataCutoffTimestamp",
    "extraFields",
}
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
    added = ADDED_BY_THE_TAP if definition.report.kind == "periodic" else ADDED_TO_MESSAGES
    assert properties >= added
    for column in definition.metric_columns:
        if column in definition.report.key:
            continue  # a key is never null
        assert "null" in schema["properties"][column]["type"], f"{column} must be nullable"


def test_given_the_schemas_folder_when_listed_then_it_holds_exactly_the_streams() -> None:
    names = {p.stem for p in SCHEMAS.glob("*.json")}
    expected = {d.name for d in stream_definitions()}
    directory = {"mailboxes", "mailbox_users", "mailbox_tags"}
    assert names == {*directory, *expected, "finality_watermarks"}


def test_given_the_registry_when_schemas_are_generated_then_the_committed_files_are_identical() -> (
    None
):
    for definition in stream_definitions():
        committed = (SCHEMAS / f"{definition.name}.json").read_text(encoding="utf-8")
        assert committed == schema_text(definition), (
            f"schemas/{definition.name}.json drifted from the registry: run "
            "`python -m tap_emailgistics.catalog.schema_files`"
        )


def test_given_a_new_field_group_when_registered_then_its_streams_and_schemas_follow() -> None:
    report = REPORTS[0]
    extended = replace(
        report,
        groups={**report.groups, "slaData": ("received", "insideReplySla")},
        group_labels={**report.group_labels, "slaData": "sla"},
    )
    names = [d.name for d in stream_definitions((extended,))]
    assert names[0] == "mailbox_performance"  # all three groups, selected by default
    assert "mailbox_sla_performance" in names
    assert "mailbox_reply_sla_performance" in names
    assert len(names) == 7  # every non-empty combination of three groups
    sla = next(d for d in stream_definitions((extended,)) if d.name == "mailbox_sla_performance")
    assert list(report_schema(sla)["properties"])[5:7] == ["received", "insideReplySla"]


def test_given_schemas_in_sync_when_the_readme_generator_command_runs_then_it_writes_nothing() -> (
    None
):
    done = subprocess.run(
        [sys.executable, "-m", "tap_emailgistics.catalog.schema_files"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout == ""  # it names every file it (re)writes
