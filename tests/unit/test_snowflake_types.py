"""The Snowflake type of every column: intended, stated in docs/snowflake.md, and created.

The mapping is MeltanoLabs target-snowflake's (integer -> NUMBER, number -> DOUBLE,
object/array -> VARIANT, date-time strings -> TIMESTAMP_NTZ by default, other strings
-> VARCHAR, boolean -> BOOLEAN), named as Snowflake's `information_schema.columns` shows
the columns (VARCHAR as TEXT, DOUBLE as FLOAT). Each column's *intended* type is decided
by what the column is; the tests here fail when the schema would make Snowflake store it
otherwise, and when the table of docs/snowflake.md no longer says the same;
tests/e2e/test_snowflake_emulated.py fails when the real loader creates another type.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.readme import doc_text
from tests.snowflake_types import LOADER_MAPPING, snowflake_type

ROOT = Path(__file__).parents[2]
#: Local time without an offset.
WALL_CLOCK_TEXT = {"startDateTime", "dataCutoffTimestamp", "finalThroughLocal"}
#: UTC instants (the loader's default timestamp_type holds them without a zone).
UTC_INSTANTS = [
    "startDateTimeUtc",
    "finalThroughUtc",
    "dataCutoffTimestampUtc",
    "apiNowUtc",
    "lastVerifiedRunAtUtc",
    # Received Message Detail's times, UTC as the API sends them.
    "receivedDateTime",
    "firstRepliedDateTime",
    "lastRepliedDateTime",
    "closedDateTime",
    "asOfUtc",
]


INTENDED = {
    **dict.fromkeys(UTC_INSTANTS, "TIMESTAMP_NTZ"),
    **dict.fromkeys(["isFinal", "active", "userActive", "ownerUserActive"], "BOOLEAN"),
    **dict.fromkeys(["extraFields", "users", "tags"], "VARIANT"),
    **dict.fromkeys(["id", "stream", "period", "domain", "timeZone", *WALL_CLOCK_TEXT], "TEXT"),
    **dict.fromkeys(["status", "senderDomain", "activityType"], "TEXT"),
}


def intended_type(name: str) -> str:
    if name in INTENDED:
        return INTENDED[name]
    if name.endswith(("Id", "Name", "Email", "Color")):
        return "TEXT"
    if name.startswith("average"):
        return "FLOAT"  # minutes with fractions
    return "NUMBER(38,0)"  # every other column is a count of messages or conversations


def test_given_every_schema_column_when_mapped_then_snowflake_stores_it_as_intended() -> None:
    for path in sorted((ROOT / "schemas").glob("*.json")):
        for name, column in json.loads(path.read_text())["properties"].items():
            assert snowflake_type(column) == intended_type(name), (path.name, name)


def test_given_the_snowflake_page_table_when_read_then_it_states_the_loader_mapping() -> None:
    section = doc_text("docs/snowflake.md").split("# Loading into Snowflake\n", 1)[1]
    for (json_type, fmt), snowflake in LOADER_MAPPING.items():
        row = f"`{json_type}`, `format: {fmt}`" if fmt else f"`{json_type}`"
        line = next(x for x in section.splitlines() if x.startswith("| ") and row in x)
        assert re.search(rf"`{re.escape(snowflake)}`", line), (row, line)
