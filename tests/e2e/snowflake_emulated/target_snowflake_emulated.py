"""The real MeltanoLabs target-snowflake 0.20.4, loading into fakesnow (Snowflake on DuckDB).

Only the target's staging is replaced: a local emulator has no user stage, cannot query
staged files and knows no REMOVE. Everything else is the unmodified target and Singer
SDK: table creation, type mapping, its own MERGE and casts, ACTIVATE_VERSION handling,
STATE output. What this cannot prove (the real stage, PUT and COPY of Snowflake) only a
real account runs.

    FAKESNOW_DB_PATH=/some/dir target-snowflake-emulated --config config.json < messages

Each Snowflake database is the DuckDB file ``$FAKESNOW_DB_PATH/<DATABASE>.db``, locked
while the target runs; ``snowflake-emulated-query`` reads it afterwards, through fakesnow.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import uuid4

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

TARGET_DIST, TARGET_VERSION = "meltanolabs-target-snowflake", "0.20.4"
DB_PATH_ENV = "FAKESNOW_DB_PATH"

# The replacements below depend on the target's internals: refuse any other release.
if (_found := importlib.metadata.version(TARGET_DIST)) != TARGET_VERSION:
    _msg = f"target-snowflake-emulated wraps {TARGET_DIST}=={TARGET_VERSION}, not {_found}"
    raise RuntimeError(_msg)

import fakesnow  # noqa: E402 - after the version check
import sqlalchemy as sa  # noqa: E402
from fakesnow.transforms import stage as fakesnow_stage  # noqa: E402
from target_snowflake.connector import SnowflakeConnector  # noqa: E402
from target_snowflake.target import TargetSnowflake  # noqa: E402

#: The target's user-stage location, as it writes it in its SQL.
USER_STAGE = "'@~/target-snowflake/"
#: Target SQL fakesnow cannot parse and that may succeed without effect: DROP FILE FORMAT
#: (fakesnow keeps file formats in memory, per process, so none outlives it).
NOP_REGEXES = [r"drop file format "]


def _stage(connector: SnowflakeConnector) -> str:
    """The named internal stage standing in for the user stage ``@~`` (in memory only)."""
    return f"{connector.config['database']}.PUBLIC.TARGET_SNOWFLAKE".upper()


def _swap(sql: str, old: str, new: str) -> str:
    """``sql`` with ``old`` replaced; fails loudly if the target's SQL no longer has it."""
    if old not in sql:
        msg = f"target-snowflake-emulated: expected {old!r} in the target's SQL: {sql}"
        raise RuntimeError(msg)
    return sql.replace(old, new)


def _get_put_statement(
    self: SnowflakeConnector, sync_id: str, file_uri: str
) -> tuple[sa.TextClause, dict[str, Any]]:
    # Stands in for `PUT file://… '@~/target-snowflake/<sync_id>'`: fakesnow has no user
    # stage and takes only an unquoted stage reference.
    del file_uri  # bound by the caller as :file_uri
    return sa.text(f"put :file_uri @{_stage(self)}/{sync_id}"), {}


_real_put_batches_to_stage = SnowflakeConnector.put_batches_to_stage
_stages_created: set[str] = set()
_stages_lock = threading.Lock()
#: One batch loads at a time: the SDK drains sinks in threads, and fakesnow's MERGE
#: emulation makes a MERGE_CANDIDATES table per statement under one name (two at once
#: collide: "duplicate key … MERGE_CANDIDATES"). Snowflake runs them side by side.
_load_lock = threading.Lock()


def _put_batches_to_stage(self: SnowflakeConnector, sync_id: str, files: Sequence[str]) -> None:
    # Stands in for the user stage, which always exists: create the named stage once per
    # process, under a lock (the SDK drains sinks in threads, and fakesnow's CREATE STAGE
    # IF NOT EXISTS is check-then-insert).
    with _stages_lock:
        if _stage(self) not in _stages_created:
            with self._connect() as conn:
                conn.execute(sa.text(f"create stage if not exists {_stage(self)}"))
            _stages_created.add(_stage(self))
    _real_put_batches_to_stage(self, sync_id=sync_id, files=files)


def _staged_into_temp(
    self: SnowflakeConnector, conn: sa.Connection, target: object, sync_id: str, file_format: str
) -> str:
    """Stands in for reading staged files (`select $1:col … from '@…'(file_format => …)`).

    fakesnow cannot read a stage in a query, but it can COPY a staged JSON file into a
    one-column VARIANT table (one row per line, in file order): the batch goes there.
    Returns the table's name; its column is SRC, and DuckDB's rowid is the file's order.
    """
    # fakesnow needs a current schema for temporary tables (its MERGE makes one too); the
    # target qualifies every name, so its sessions have none.
    conn.execute(sa.text(f"use schema {str(target).rsplit('.', 1)[0]}"))
    table = f"TARGET_SNOWFLAKE_STAGED_{uuid4().hex.upper()}"
    conn.execute(sa.text(f"create temporary table {table} (SRC variant)"))
    source = f"@{_stage(self)}/{sync_id} file_format = (format_name='{file_format}')"
    conn.execute(sa.text(f"copy into {table} from {source}"))
    return table


def _merge_from_stage(  # noqa: PLR0913, PLR0917 - the target's signature
    self: SnowflakeConnector,
    full_table_name: object,
    schema: dict[str, Any],
    sync_id: str,
    file_format: str,
    key_properties: Iterable[str],
) -> int:
    # Stands in for MERGE … USING (SELECT $1:… FROM '@~/…'(file_format => …) QUALIFY …):
    # the target's own MERGE statement, reading the temporary table instead of the stage.
    statement, _ = self._get_merge_from_stage_statement(
        full_table_name=full_table_name,
        schema=schema,
        sync_id=sync_id,
        file_format=file_format,
        key_properties=key_properties,
    )
    with _load_lock, self._connect() as conn, conn.begin():
        staged = _staged_into_temp(self, conn, full_table_name, sync_id, file_format)
        sql = statement.text
        # DuckDB binds QUALIFY's PARTITION BY <alias> to the merge target's column, where
        # Snowflake uses the select's alias: wrap the select so QUALIFY sees its own.
        sql = _swap(sql, " using (select ", " using (select * from (select ")
        stage_read = f" from {USER_STAGE}{sync_id}'(file_format => {file_format}) "
        sql = _swap(sql, stage_read, f", rowid as _SDC_FILE_ROW from {staged}) ")
        # SEQ8(), the staged file's row sequence, does not transpile inside a window.
        sql = _swap(sql, "SEQ8()", "_SDC_FILE_ROW")
        sql = _swap(sql, "$1:", "SRC:")  # the staged row is the table's VARIANT column
        row = conn.execute(sa.text(sql)).fetchone()
        conn.execute(sa.text(f"drop table {staged}"))
    return int(sum(row)) if row is not None else 0


def _copy_from_stage(
    self: SnowflakeConnector,
    full_table_name: object,
    schema: dict[str, Any],
    sync_id: str,
    file_format: str,
) -> int:
    # Stands in for COPY INTO <table> (cols) FROM (SELECT $1:… FROM '@~/…') (streams
    # without keys): fakesnow's COPY cannot pick JSON keys, so INSERT … SELECT with the
    # target's own casts.
    selections = self._get_column_selections(schema)
    casts = self._format_column_selections(selections, "json_casting").replace("$1:", "SRC:")
    columns = self._format_column_selections(selections, "col_alias")
    with _load_lock, self._connect() as conn, conn.begin():
        staged = _staged_into_temp(self, conn, full_table_name, sync_id, file_format)
        insert = f"insert into {full_table_name} {columns} select {casts} from {staged}"  # noqa: S608
        count = conn.execute(sa.text(insert)).scalar()
        conn.execute(sa.text(f"drop table {staged}"))
    return int(count or 0)


def _remove_staged_files(self: SnowflakeConnector, sync_id: str) -> None:
    # Stands in for `REMOVE '@~/target-snowflake/<sync_id>/'` (fakesnow has no REMOVE).
    shutil.rmtree(fakesnow_stage.internal_dir(_stage(self), sync_id), ignore_errors=True)


def install_shim() -> None:
    """Replace the target's staging methods on its connector class."""
    SnowflakeConnector._get_put_statement = _get_put_statement
    SnowflakeConnector.put_batches_to_stage = _put_batches_to_stage
    SnowflakeConnector.merge_from_stage = _merge_from_stage
    SnowflakeConnector.copy_from_stage = _copy_from_stage
    SnowflakeConnector.remove_staged_files = _remove_staged_files


def _db_path() -> str:
    db_path = os.environ.get(DB_PATH_ENV)
    if not db_path:
        sys.exit(f"target-snowflake-emulated: set {DB_PATH_ENV} to a folder for the database")
    Path(db_path).mkdir(parents=True, exist_ok=True)
    return db_path


def main() -> None:
    """Console script: the real target-snowflake CLI, Snowflake replaced by fakesnow."""
    try:
        db_path = _db_path()
        install_shim()
        with fakesnow.patch(db_path=db_path, nop_regexes=NOP_REGEXES):
            TargetSnowflake.cli()
    finally:
        # fakesnow makes a temporary folder for stage files at import and never removes it.
        shutil.rmtree(fakesnow_stage.LOCAL_BUCKET_PATH, ignore_errors=True)


def query() -> None:
    """Console script: run ``{"database": …, "queries": […]}`` from stdin through fakesnow
    (Snowflake SQL, as a user would type it) and print each query's rows as JSON."""
    import snowflake.connector  # noqa: PLC0415 - patched by fakesnow only inside the block

    asked = json.load(sys.stdin)
    try:
        with (
            fakesnow.patch(db_path=_db_path()),
            snowflake.connector.connect(database=asked["database"]) as connection,
        ):
            results = []
            for sql in asked["queries"]:
                cursor = connection.cursor(snowflake.connector.DictCursor)
                results.append(cursor.execute(sql).fetchall())
    finally:
        shutil.rmtree(fakesnow_stage.LOCAL_BUCKET_PATH, ignore_errors=True)
    json.dump(results, sys.stdout, default=str)


if __name__ == "__main__":
    main()
