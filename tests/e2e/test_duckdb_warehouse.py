"""The demo's loader, for real: target-duckdb (pinned) upserts on the stream's key.

Its row counts are compared with the tap's own RECORD counts (Meltano's record_count
metrics) and with ground truth, so a loader that silently drops a row cannot hide
(target-duckdb 0.8.0 with duckdb 2.0.0 drops the first row of every stream).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from tests.truth import REPORT_STREAMS

from .test_meltano_pipeline import expected

if TYPE_CHECKING:
    from pathlib import Path

    from emailgistics_sandbox import SandboxControl

    from .conftest import Pipeline

pytestmark = pytest.mark.e2e
TABLES = ("mailboxes", "mailbox_users", "mailbox_tags", *REPORT_STREAMS, "finality_watermarks")


def records_sent(meltano_log: str) -> int:
    counts = re.findall(r"metric_name=record_count metric_value=(\d+)", meltano_log)
    assert counts, "no record_count metrics in the Meltano log"
    return sum(int(count) for count in counts)


def load(warehouse: Path, table: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse), read_only=True) as db:
        cursor = db.execute(f"SELECT * FROM emailgistics.{table}")  # noqa: S608 - fixed names
        columns = [c[0] for c in cursor.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def test_given_two_runs_into_duckdb_when_counted_then_records_truth_and_keys_agree(
    pipeline: Pipeline,
    control: SandboxControl,
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    first = pipeline.run("target-duckdb", TARGET_DUCKDB_FILEPATH=str(warehouse))
    assert first.returncode == 0, first.stderr[-3000:]
    loaded = {table: load(warehouse, table) for table in TABLES}
    assert sum(len(rows) for rows in loaded.values()) == records_sent(first.stderr)

    control.advance(days=1)
    second = pipeline.run("target-duckdb", TARGET_DUCKDB_FILEPATH=str(warehouse))
    assert second.returncode == 0, second.stderr[-3000:]
    for stream, (_, dimension) in REPORT_STREAMS.items():
        truth = expected(control, stream)
        key = ", ".join(
            ["mailboxid", "period", "startdatetimeutc", *([dimension] if dimension else [])]
        )
        counts = f"count(*), count(DISTINCT ({key})), count(*) FILTER (WHERE isfinal)"
        query = f"SELECT {counts} FROM emailgistics.{stream}"  # noqa: S608 - our stream names
        rows, distinct, final = scalars(warehouse, query)
        assert rows == distinct == len(truth), stream  # upserted: one row per key
        assert final == sum(bool(t["isFinal"]) for t in truth.values()), stream


def scalars(warehouse: Path, query: str) -> tuple[int, ...]:
    with duckdb.connect(str(warehouse), read_only=True) as db:
        row = db.execute(query).fetchone()
    assert row is not None
    return tuple(int(value) for value in row)
