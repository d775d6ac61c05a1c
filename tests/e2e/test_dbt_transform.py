"""Issue "From rows to answers": the dbt project in transform/, run by Meltano.

`meltano run tap-emailgistics target-postgres dbt-postgres:build` (and the demo's
`target-duckdb dbt-duckdb:build`), twice, the sandbox's clock a day later before the
second: `dbt build` passes both times (its staging, marts and tests: keys, accepted
values, relationships to the directory, and the reconciliation tests tying the marts to
the raw rows), and the day that was provisional in the first run is flagged so in the
mart (and kept out of its final-only form), then final after the second.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
from psycopg import sql

from tap_emailgistics.plugin_definition import default_selection
from tests.readme import readme_block
from tests.truth import MESSAGES, active_mailbox_ids

from .readme_project import dbt_schemas, drop

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date
    from pathlib import Path

    import psycopg

    from emailgistics_sandbox import SandboxControl

    from .conftest import Pipeline

pytestmark = pytest.mark.e2e


@pytest.fixture
def dbt_schema(pipeline: Pipeline, postgres: psycopg.Connection[Any]) -> Iterator[str]:
    """The schema dbt builds into; it adds _staging and _marts to it."""
    schema = f"{pipeline.schema}_dbt"
    yield schema
    drop(postgres, dbt_schemas(schema))


def elt(pipeline: Pipeline, dbt_schema: str, folder: Path) -> None:
    done = pipeline.meltano(
        "run",
        "--state-id-suffix",
        pipeline.suffix,
        "tap-emailgistics",
        "target-postgres",
        "dbt-postgres:build",
        TAP_EMAILGISTICS__SELECT=json.dumps([*default_selection(), f"{MESSAGES}.*"]),
        DBT_POSTGRES_SCHEMA=dbt_schema,
        DBT_POSTGRES_SOURCE_SCHEMA=pipeline.schema,
        DBT_POSTGRES_USING_MESSAGE_DETAIL="true",
        # Each test's own dbt target/ and logs/: parallel builds would share them.
        DBT_POSTGRES_TARGET_PATH=str(folder / "target"),
        DBT_POSTGRES_LOG_PATH=str(folder / "logs"),
    )
    assert done.returncode == 0, done.stderr[-5000:]
    # dbt's unit tests (the watermark boundary, weighted averages, SLA verdicts) ran too
    assert "3 unit tests" in done.stderr, done.stderr[-5000:]


def mailbox_days(
    pg: psycopg.Connection[Any], relation: str, mailbox: str
) -> dict[date, tuple[bool, int]]:
    """``relation``'s day rows of ``mailbox``: is_final and received, by local day."""
    schema, name = relation.split(".")
    query = sql.SQL(
        "SELECT period_start_date, is_final, received FROM {}.{} "
        "WHERE time_grain = 'day' AND mailbox_id = %s"
    ).format(sql.Identifier(schema), sql.Identifier(name))
    return {day: (final, received) for day, final, received in pg.execute(query, (mailbox,))}


def test_given_two_runs_across_finality_when_dbt_builds_then_its_tests_pass_and_days_settle(
    pipeline: Pipeline,
    control: SandboxControl,
    postgres: psycopg.Connection[Any],
    dbt_schema: str,
    tmp_path: Path,
) -> None:
    mailbox = active_mailbox_ids(control)[0]
    marts = f"{dbt_schema}_marts"
    elt(pipeline, dbt_schema, tmp_path)
    first = mailbox_days(postgres, f"{marts}.mart_sla_mailbox", mailbox)
    provisional = [day for day, (final, _) in first.items() if not final]
    assert provisional  # the sandbox's today, at least
    final_only = mailbox_days(postgres, f"{marts}.mart_sla_mailbox_final", mailbox)
    assert set(final_only) == set(first) - set(provisional)

    control.advance(days=1)
    elt(pipeline, dbt_schema, tmp_path)
    second = mailbox_days(postgres, f"{marts}.mart_sla_mailbox", mailbox)
    settled = min(provisional)
    assert second[settled][0]  # final now...
    assert settled in mailbox_days(postgres, f"{marts}.mart_sla_mailbox_final", mailbox)
    assert second[settled][1] != first[settled][1]  # ...with the day's whole count
    weekly, breaches = (docs_query(postgres, name, marts) for name in DOCS_QUERIES)
    assert weekly  # settled weeks, each with a rate of its replies
    assert all(rate is None or 0 <= rate <= 1 for *_, rate in weekly)
    assert breaches
    assert all(minutes is None or minutes >= REPLY_SLA for *_, minutes in breaches)


DOCS_QUERIES = ("transform-weekly", "transform-breaches")
REPLY_SLA = 240  # minutes: transform/dbt_project.yml's reply_sla_minutes


def docs_query(pg: psycopg.Connection[Any], name: str, marts: str) -> list[tuple[Any, ...]]:
    """docs/transform.md's query ``name``, verbatim apart from the schema."""
    query = readme_block(name, "sql").replace("analytics_marts.", f"{marts}.")
    return pg.execute(query).fetchall()  # type: ignore[arg-type]


def duckdb_days(warehouse: Path, mailbox: str) -> dict[date, tuple[bool, int]]:
    """The DuckDB mart's day rows of ``mailbox``: is_final and received, by local day."""
    with duckdb.connect(str(warehouse), read_only=True) as db:
        rows = db.execute(
            "SELECT period_start_date, is_final, received FROM analytics_marts.mart_sla_mailbox "
            "WHERE time_grain = 'day' AND mailbox_id = ?",
            [mailbox],
        ).fetchall()
    return {day: (final, received) for day, final, received in rows}


def test_given_the_demo_warehouse_when_dbt_duckdb_builds_twice_then_its_tests_pass_and_days_settle(
    pipeline: Pipeline, control: SandboxControl, tmp_path: Path
) -> None:
    # The same project on DuckDB, loaded by target-duckdb as in the demo.
    warehouse = tmp_path / "warehouse.duckdb"
    env = {
        "TAP_EMAILGISTICS__SELECT": json.dumps([*default_selection(), f"{MESSAGES}.*"]),
        "TARGET_DUCKDB_FILEPATH": str(warehouse),
        "DBT_DUCKDB_PATH": str(warehouse),
        "DBT_DUCKDB_SOURCE_SCHEMA": "emailgistics",  # target-duckdb's schema in meltano.yml
        "DBT_DUCKDB_USING_MESSAGE_DETAIL": "true",  # the demo builds without (the default)
        "DBT_DUCKDB_TARGET_PATH": str(tmp_path / "target"),
        "DBT_DUCKDB_LOG_PATH": str(tmp_path / "logs"),
    }
    args = ("run", "--state-id-suffix", pipeline.suffix, "tap-emailgistics", "target-duckdb")
    mailbox = active_mailbox_ids(control)[0]
    first = pipeline.meltano(*args, "dbt-duckdb:build", **env)
    assert first.returncode == 0, first.stderr[-5000:]
    provisional = [day for day, (final, _) in duckdb_days(warehouse, mailbox).items() if not final]
    assert provisional
    control.advance(days=1)
    second = pipeline.meltano(*args, "dbt-duckdb:build", **env)
    assert second.returncode == 0, second.stderr[-5000:]
    assert duckdb_days(warehouse, mailbox)[min(provisional)][0]


MISSING = {
    # the model built, the settings, the line dbt must print
    "no_tap_tables": (
        "stg_emailgistics__mailboxes",
        {},
        (
            '"emailgistics"."mailboxes" not found: set source_schema to the schema the loader '
            "writes: meltano config set dbt-duckdb source_schema <schema>"
        ),
    ),
    "message_models_without_the_stream": (
        "stg_emailgistics__received_message_detail",
        {"DBT_DUCKDB_USING_MESSAGE_DETAIL": "true"},
        (
            '"emailgistics"."received_message_detail" not found: select the tap\'s '
            "received_message_detail stream, or build without the message models: "
            "meltano config set dbt-duckdb using_message_detail false"
        ),
    ),
}


@pytest.mark.parametrize("case", MISSING)
def test_given_a_warehouse_without_the_tables_when_dbt_builds_then_one_line_names_the_setting(
    pipeline: Pipeline, tmp_path: Path, case: str
) -> None:
    model, settings, line = MISSING[case]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as db:
        db.execute("CREATE SCHEMA emailgistics")  # the loader's schema, no tap table in it
    done = pipeline.meltano(
        "invoke",
        "dbt-duckdb",
        "build",
        "--select",
        model,
        DBT_DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"),
        DBT_DUCKDB_TARGET_PATH=str(tmp_path / "target"),
        DBT_DUCKDB_LOG_PATH=str(tmp_path / "logs"),
        **settings,
    )
    assert done.returncode != 0
    assert line in done.stdout + done.stderr, (done.stdout + done.stderr)[-3000:]
