"""Issue "The Meltano user's path": the README's adoption commands, run verbatim.

A brand-new Meltano project in a temporary folder, every command of the README's
``adopt`` block (paths, the sandbox's port and the schema substituted: the README's
``emailgistics_raw`` may hold someone's data), a real PostgreSQL, and the tables checked
against the sandbox's ground truth; then the schedule commands (docs/operating.md) in it.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from emailgistics_sandbox import Sandbox, SandboxControl, SandboxSettings
from tap_emailgistics.plugin_definition import default_selection
from tests.readme import readme_block

from .conftest import ROOT
from .readme_project import (
    ADOPT_SCHEMA,
    adopt,
    assert_holds_the_account,
    dbt_schemas,
    drop,
    loaded_rows,
    localised,
    run_bash,
    table,
    table_names,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import psycopg

# One worker runs the module: its tests share one expensive module fixture.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("adopt-readme")]


@dataclass
class Adopted:
    """The project the README's adopt block made, its schema and its sandbox."""

    project: Path
    schema: str
    control: SandboxControl


@pytest.fixture(scope="module")
def adopted(
    tmp_path_factory: pytest.TempPathFactory, postgres: psycopg.Connection[Any]
) -> Iterator[Adopted]:
    schema = f"e2e_adopt_{uuid.uuid4().hex[:10]}"
    with Sandbox(SandboxSettings(run_seconds=0.05)) as sandbox:
        try:
            project = adopt(tmp_path_factory.mktemp("adopt"), sandbox.base_url, schema)
            yield Adopted(project, schema, SandboxControl(sandbox.base_url))
        finally:
            drop(postgres, [schema])


def test_given_the_readme_when_read_then_it_selects_the_default_streams() -> None:
    selected = re.findall(r'meltano select tap-emailgistics (\w+) "\*"', readme_block("adopt"))
    assert [f"{name}.*" for name in selected] == default_selection()


def test_given_a_new_meltano_project_when_the_readme_is_followed_then_postgres_holds_the_truth(
    adopted: Adopted, postgres: psycopg.Connection[Any]
) -> None:
    assert table_names(postgres, adopted.schema) == sorted(
        s.removesuffix(".*") for s in default_selection()
    )
    assert_holds_the_account(loaded_rows(postgres, adopted.schema), adopted.control)
    users = table(postgres, adopted.schema, "mailbox_users")
    assert len(users) == sum(len(m["users"]) for m in adopted.control.mailboxes())


def test_given_the_adopted_project_when_the_readme_schedule_runs_then_meltano_lists_a_daily_job(
    adopted: Adopted,
) -> None:
    commands = readme_block("schedule")
    assert commands.startswith("meltano job add ")  # a job, not the legacy `elt` schedule
    done = run_bash(commands, adopted.project, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    listed = run_bash("meltano schedule list --format json", adopted.project, timeout=300)
    assert listed.returncode == 0, listed.stderr[-3000:]
    schedules = json.loads(listed.stdout)["schedules"]
    assert schedules["elt"] == []
    [schedule] = schedules["job"]
    assert (schedule["name"], schedule["interval"], schedule["job"]) == (
        "emailgistics-daily",
        "@daily",
        {"name": "emailgistics", "tasks": ["tap-emailgistics target-postgres"]},
    )


ADOPT_DBT_SCHEMA = "emailgistics_analytics"  # the README's dbt schema (+ _staging, _marts)


def test_given_the_adopted_project_when_the_readmes_dbt_block_runs_then_the_marts_hold_the_load(
    adopted: Adopted, postgres: psycopg.Connection[Any]
) -> None:
    dbt_schema = f"{adopted.schema}_analytics"
    script = localised(
        readme_block("adopt-dbt"),
        {
            "/path/to/tap-emailgistics": str(ROOT),
            ADOPT_SCHEMA: adopted.schema,
            ADOPT_DBT_SCHEMA: dbt_schema,
        },
    )
    try:
        done = run_bash(script, adopted.project)
        assert done.returncode == 0, done.stderr[-4000:]
        # dbt build ran the unit tests (the message one is off: using_message_detail false)
        assert "2 unit tests" in done.stderr
        marts = sql.Identifier(f"{dbt_schema}_marts")
        days = postgres.execute(
            sql.SQL(
                "SELECT period_status, count(*), sum(received) FROM {}.mart_sla_mailbox "
                "WHERE time_grain = 'day' GROUP BY period_status"
            ).format(marts)
        ).fetchall()
        loaded = postgres.execute(
            sql.SQL(
                """SELECT count(*), sum("received") FROM {}.mailbox_performance """
                """WHERE "period" = 'day'"""
            ).format(sql.Identifier(adopted.schema))
        ).fetchone()
        assert {status for status, *_ in days} == {"final", "provisional"}  # today is open
        assert (sum(n for _, n, _ in days), sum(r for *_, r in days)) == loaded
    finally:
        drop(postgres, dbt_schemas(dbt_schema))
