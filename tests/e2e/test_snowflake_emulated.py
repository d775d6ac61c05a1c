"""Issue "Snowflake, end to end": `meltano run` into a Snowflake emulator with the real loader.

The loader is MeltanoLabs target-snowflake 0.20.4, unchanged but for its staging, inside
fakesnow (Snowflake emulated on DuckDB): `target-snowflake-emulated`, defined in
tests/e2e/test-plugins.meltano.yml and inheriting the definition users copy
(plugin/target-snowflake.yml). One module fixture runs three syncs of every default
stream, `received_message_detail` and the directory streams: a first, one a day later
(yesterday settles), and one after a mailbox left the directory; the tests read what the
target made of them through fakesnow, as Snowflake SQL. What this cannot prove (the real
stage, PUT and COPY) only a real account runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings
from tap_emailgistics.plugin_definition import default_selection
from tests.readme import readme_block
from tests.snowflake_types import snowflake_type
from tests.truth import (
    MESSAGES,
    REPORT_STREAMS,
    active_mailbox_ids,
    assert_equal_truth,
    message_truth,
    primary_key,
)

from .conftest import END, ROOT, START, Pipeline, own_sys_dir
from .test_meltano_pipeline import expected, report_posts

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# One worker runs the module: its tests share one module fixture.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("snowflake")]
LOADER = "target-snowflake-emulated"
#: dbt-snowflake on the same emulated database (tests/e2e/test-plugins.meltano.yml).
DBT = "dbt-snowflake-emulated"
QUERY = ROOT / ".meltano" / "loaders" / LOADER / "venv" / "bin" / "snowflake-emulated-query"
INFO_COLUMNS = "table_name, column_name, data_type, numeric_precision, numeric_scale"
DATABASE = "EMAILGISTICS"  # the test loader's database (tests/e2e/test-plugins.meltano.yml)
SCHEMAS = {p.stem: json.loads(p.read_text()) for p in (ROOT / "schemas").glob("*.json")}
TABLES = (*(s.removesuffix(".*") for s in default_selection()), MESSAGES)
#: Snowflake folds unquoted names to upper case; the tests compare the tap's names.
NAMES = {name.upper(): name for schema in SCHEMAS.values() for name in schema["properties"]}


def snowflake_sql(queries: list[str], db_path: Path) -> list[list[dict[str, Any]]]:
    """Each query's rows, run through fakesnow by the loader's venv (the tests' has none)."""
    done = subprocess.run(
        [str(QUERY)],
        input=json.dumps({"database": DATABASE, "queries": queries}),
        env={**os.environ, "FAKESNOW_DB_PATH": str(db_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return list(json.loads(done.stdout))


@dataclass
class Snapshot:
    """What one sync left: every table's rows (the tap's column names), and the types."""

    tables: dict[str, list[dict[str, Any]]]
    types: dict[tuple[str, str], str]
    final_rows: list[dict[str, Any]]
    posts: list[dict[str, Any]]  # every report run the sandbox was asked for, so far
    #: After a sync with dbt-snowflake:build: the mailbox mart's day rows, and dbt's log.
    mart_days: list[dict[str, Any]]
    dbt_log: str


def as_sent(value: Any, kind: str) -> Any:
    """A value as the tap sent it: VARIANT text parsed, timestamps as UTC text (the query
    script prints what JSON cannot hold as text)."""
    if kind == "VARIANT" and isinstance(value, str):
        return json.loads(value)
    if kind == "TIMESTAMP_NTZ" and isinstance(value, str):
        return datetime.fromisoformat(value).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def watermarks_query(schema: str) -> str:
    """docs/snowflake.md's query, verbatim apart from the schema name."""
    return readme_block("watermarks:snowflake", "sql").replace("emailgistics_raw.", f"{schema}.")


MART_DAYS = (
    "select mailbox_id, period_start_date, is_final, received "
    "from {schema}_DBT_MARTS.mart_sla_mailbox where time_grain = 'day'"
)


def snapshot(
    pipeline: Pipeline, db_path: Path, control: SandboxControl, dbt_log: str = ""
) -> Snapshot:
    # Fixed names: the suite's own schema and the tap's streams.
    where = f"where table_schema = '{pipeline.schema}'"
    columns = f"select {INFO_COLUMNS} from information_schema.columns {where}"  # noqa: S608
    reads = [f"select * from {pipeline.schema}.{table}" for table in TABLES]  # noqa: S608
    marts = [MART_DAYS.format(schema=pipeline.schema)] if dbt_log else []
    found = snowflake_sql([columns, watermarks_query(pipeline.schema), *reads, *marts], db_path)
    types = {
        (c["TABLE_NAME"].lower(), c["COLUMN_NAME"]): (
            f"NUMBER({c['NUMERIC_PRECISION']},{c['NUMERIC_SCALE']})"
            if c["DATA_TYPE"] == "NUMBER"
            else c["DATA_TYPE"]
        )
        for c in found[0]
    }

    def rows(table: str, read: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {NAMES.get(k, k): as_sent(v, types[table, k]) for k, v in row.items()} for row in read
        ]

    read = found[2 : 2 + len(TABLES)]
    tables = {table: rows(table, rows_read) for table, rows_read in zip(TABLES, read, strict=True)}
    final = rows("mailbox_performance", found[1])
    mart_days = found[2 + len(TABLES)] if dbt_log else []
    return Snapshot(tables, types, final, report_posts(control), mart_days, dbt_log)


@dataclass
class Synced:
    """The three syncs' snapshots, the pipeline and its sandbox."""

    pipeline: Pipeline
    control: SandboxControl
    first: Snapshot
    next_day: Snapshot
    removed: Snapshot
    removed_mailbox: str
    state_after_first: dict[str, Any]
    truth_next_day: dict[str, dict[Any, Any]]
    messages_next_day: dict[tuple[str, str], Any]
    env: dict[str, str]  # the pipeline's settings and the emulated database's folder


@pytest.fixture(scope="module")
def synced(
    meltano_installed: None,  # noqa: ARG001 - installs the plugins first
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Synced]:
    folder = tmp_path_factory.mktemp("snowflake")
    schema = f"E2E_{uuid.uuid4().hex[:10].upper()}"
    db_path = folder / "fakesnow"
    env = {
        "FAKESNOW_DB_PATH": str(db_path),
        "TARGET_SNOWFLAKE_EMULATED_DEFAULT_TARGET_SCHEMA": schema,
        "TAP_EMAILGISTICS__SELECT": json.dumps([*default_selection(), f"{MESSAGES}.*"]),
        "DBT_SNOWFLAKE_EMULATED_SOURCE_SCHEMA": schema,
        "DBT_SNOWFLAKE_EMULATED_SCHEMA": f"{schema}_DBT",
        "DBT_SNOWFLAKE_EMULATED_USING_MESSAGE_DETAIL": "true",
        "DBT_SNOWFLAKE_EMULATED_TARGET_PATH": str(folder / "dbt-target"),
        "DBT_SNOWFLAKE_EMULATED_LOG_PATH": str(folder / "dbt-logs"),
    }
    with Sandbox(SandboxSettings(run_seconds=0.05)) as sandbox:
        control = SandboxControl(sandbox.base_url)
        pipeline = Pipeline(sandbox, schema, schema.lower(), own_sys_dir(folder / "m"), LOADER)

        def sync(*, dbt: bool = False) -> Snapshot:
            blocks = [LOADER, f"{DBT}:build"] if dbt else [LOADER]
            suffix = ("--state-id-suffix", pipeline.suffix)
            done = pipeline.meltano("run", *suffix, "tap-emailgistics", *blocks, **env)
            assert done.returncode == 0, done.stderr[-4000:]
            return snapshot(pipeline, db_path, control, done.stderr if dbt else "")

        first = sync(dbt=True)
        state = pipeline.state()
        control.advance(days=1)  # yesterday settles
        next_day = sync(dbt=True)
        truth = {stream: expected(control, stream) for stream in REPORT_STREAMS}
        messages = message_truth(control, active_mailbox_ids(control), START, END)
        gone = active_mailbox_ids(control)[0]
        control.remove_from_directory(gone)
        removed = sync()
        yield Synced(pipeline, control, first, next_day, removed, gone, state, truth, messages, env)


def test_given_two_runs_across_finality_when_loaded_then_each_report_equals_truth_once(
    synced: Synced,
) -> None:
    for stream, (_, dimension) in REPORT_STREAMS.items():
        rows = synced.next_day.tables[stream]
        keyed = {primary_key(row, dimension): row for row in rows}
        assert len(keyed) == len(rows), f"duplicate keys in {stream}"  # MERGE on the key
        truth = synced.truth_next_day[stream]
        assert keyed.keys() == truth.keys(), stream
        for key, want in truth.items():
            assert {k: keyed[key].get(k) for k in want} == want, (stream, key)


def test_given_a_provisional_day_when_the_next_run_settles_it_then_its_row_is_replaced(
    synced: Synced,
) -> None:
    before = {primary_key(r, None): r for r in synced.first.tables["mailbox_performance"]}
    after = {primary_key(r, None): r for r in synced.next_day.tables["mailbox_performance"]}
    settled = [key for key, row in before.items() if not row["isFinal"] and after[key]["isFinal"]]
    assert settled  # the day that was today in the first run
    assert any(before[key]["received"] != after[key]["received"] for key in settled)


def test_given_message_detail_selected_when_loaded_then_one_row_per_message_equals_truth(
    synced: Synced,
) -> None:
    rows = synced.next_day.tables[MESSAGES]
    keyed = {(row["mailboxId"], row["messageId"]): row for row in rows}
    assert len(keyed) == len(rows), "a message loaded twice"
    assert_equal_truth(keyed, synced.messages_next_day)


def test_given_the_snowflake_watermarks_query_when_run_as_written_then_only_final_rows(
    synced: Synced,
) -> None:
    truth = synced.truth_next_day["mailbox_performance"]
    final = {key for key, row in truth.items() if row["isFinal"]}
    assert {primary_key(row, None) for row in synced.next_day.final_rows} == final


def test_given_the_first_state_when_the_next_run_starts_from_it_then_only_provisional_periods(
    synced: Synced,
) -> None:
    # The state the target handed Meltano after the first run...
    bookmarks = synced.state_after_first["singer_state"]["bookmarks"]
    provisional_from = {
        p["context"]["mailboxId"]: p["provisional_from"]
        for p in bookmarks["mailbox_performance"]["partitions"]
    }
    # ...is where the next run's mailbox reports start: nothing final is asked again.
    asked = synced.next_day.posts[len(synced.first.posts) :]
    mailbox_runs = [p for p in asked if p["path"].endswith("/mailboxPerformance")]
    assert mailbox_runs
    for post in mailbox_runs:
        assert post["body"]["start"] == provisional_from[post["body"]["mailboxId"]]


def test_given_the_tables_the_target_created_then_each_column_has_its_documented_type(
    synced: Synced,
) -> None:
    # The mapping of tests/unit/test_snowflake_types.py, which docs/snowflake.md's table
    # states: here checked against what the real loader created.
    for table in TABLES:
        for name, column in SCHEMAS[table]["properties"].items():
            created = synced.removed.types[table, name.upper()]
            assert created == snowflake_type(column), (table, name, created)


def test_given_a_mailbox_removed_when_rerun_then_its_directory_row_is_flagged_deleted(
    synced: Synced,
) -> None:
    mailboxes = {row["mailboxId"]: row for row in synced.removed.tables["mailboxes"]}
    deleted = {mailbox for mailbox, row in mailboxes.items() if row["_SDC_DELETED_AT"]}
    assert deleted == {synced.removed_mailbox}  # ACTIVATE_VERSION, soft delete
    users = synced.removed.tables["mailbox_users"]
    gone = {row["mailboxId"] for row in users if row["_SDC_DELETED_AT"]}
    assert gone == {synced.removed_mailbox}
    assert all(row["_SDC_DELETED_AT"] for row in users if row["mailboxId"] in gone)
    # Its report rows stay: reports are incremental, and what was extracted stays true.
    reports = synced.removed.tables["mailbox_performance"]
    assert any(row["mailboxId"] == synced.removed_mailbox for row in reports)


def day_rows(snapshot: Snapshot) -> dict[tuple[str, str], tuple[bool, int]]:
    return {
        # the query script prints what JSON cannot hold (DuckDB's HUGEINT sums) as text
        (row["MAILBOX_ID"], str(row["PERIOD_START_DATE"])): (row["IS_FINAL"], int(row["RECEIVED"]))
        for row in snapshot.mart_days
    }


def test_given_two_runs_when_dbt_snowflake_builds_then_its_tests_pass_and_a_day_settles(
    synced: Synced,
) -> None:
    # `meltano run tap-emailgistics target-snowflake-emulated dbt-snowflake-emulated:build`:
    # dbt-snowflake's own SQL, its unit tests included, on what the real loader created.
    for run in (synced.first, synced.next_day):
        assert "3 unit tests" in run.dbt_log
        assert "ERROR=0" in run.dbt_log, run.dbt_log[-3000:]
    before, after = day_rows(synced.first), day_rows(synced.next_day)
    settled = [key for key, (final, _) in before.items() if not final and after[key][0]]
    assert settled  # the sandbox's today in the first run, final a day later
    assert any(before[key][1] != after[key][1] for key in settled)
    # the mart's day totals are the loaded rows' (dbt's reconciliation tests check more)
    loaded = synced.next_day.tables["mailbox_performance"]
    assert sum(received for _, received in after.values()) == sum(
        row["received"] for row in loaded if row["period"] == "day"
    )


def test_given_a_quoted_camelcase_column_when_dbt_runs_on_the_emulator_then_snowflake_refuses_it(
    synced: Synced,
) -> None:
    # DuckDB matches quoted names in any case, Snowflake exactly: the emulator's guard is
    # what makes the build above mean "valid on Snowflake" (the loader's columns are
    # MAILBOXID, so "mailboxId" names nothing there).
    query = f'select "mailboxId" from {synced.pipeline.schema}.mailboxes'  # noqa: S608 - own names
    done = synced.pipeline.meltano("invoke", DBT, "show", "--inline", query, **synced.env)
    assert done.returncode != 0
    assert "invalid identifier '\"mailboxId\"'" in done.stdout + done.stderr
