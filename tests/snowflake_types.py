"""MeltanoLabs target-snowflake's column type for a JSON Schema type (shared by test layers).

Named as Snowflake's `information_schema.columns` shows them (the loader declares
VARCHAR and DOUBLE; Snowflake lists TEXT and FLOAT). tests/unit/test_snowflake_types.py
checks our schemas and docs/snowflake.md against it, tests/e2e/test_snowflake_emulated.py
what the real loader created.
"""

from __future__ import annotations

from typing import Any

LOADER_MAPPING = {
    ("string", None): "TEXT",
    ("string", "date-time"): "TIMESTAMP_NTZ",
    ("integer", None): "NUMBER(38,0)",
    ("number", None): "FLOAT",
    ("boolean", None): "BOOLEAN",
    ("object", None): "VARIANT",
    ("array", None): "VARIANT",
}


def snowflake_type(column: dict[str, Any]) -> str:
    """The type the loader gives a schema column (its one non-null JSON type)."""
    [json_type] = [t for t in column["type"] if t != "null"]
    return LOADER_MAPPING[(json_type, column.get("format"))]
