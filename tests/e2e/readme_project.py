"""New Meltano projects built from the README's own blocks, and their schemas against truth."""

from __future__ import annotations

import os
import subprocess
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psycopg import sql

from tests.readme import readme_block
from tests.truth import REPORT_STREAMS, active_mailbox_ids, primary_key, truth_by_key

from .conftest import MELTANO, ROOT

if TYPE_CHECKING:
    from collections.abc import Iterable

    import psycopg

    from emailgistics_sandbox import SandboxControl

ADOPT_START = "2026-04-01"  # the adopt block's start_date
ADOPT_BASE_URL = "http://127.0.0.1:8765"
ADOPT_SCHEMA = "emailgistics_raw"
SECOND_BASE_URL = "http://127.0.0.1:8766"  # the second account's sandbox, in the docs
SECOND_SCHEMA, SHARED_SCHEMA = "emailgistics_eu", "emailgistics_all"


def localised(text: str, replacements: dict[str, str]) -> str:
    """``text`` with each README placeholder (path, port, schema) replaced, all of them used."""
    for placeholder, value in replacements.items():
        assert placeholder in text, f"{placeholder} is no longer in the README block"
        text = text.replace(placeholder, value)
    return text


def operator_env() -> dict[str, str]:
    """The environment of an operator's shell: this Meltano on PATH, none of the tests' settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MELTANO_", "TAP_", "TARGET_"))}
    env["PATH"] = f"{Path(MELTANO).parent}{os.pathsep}{env['PATH']}"
    return env


def run_bash(script: str, cwd: Path, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    """Run ``script`` as the operator would paste it: stop at the first failing command."""
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=operator_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def adopt(folder: Path, base_url: str, schema: str) -> Path:
    """Follow "Adding it to your Meltano project" in ``folder``; return the new project."""
    script = localised(
        readme_block("adopt"),
        {"/path/to/tap-emailgistics": str(ROOT), ADOPT_BASE_URL: base_url, ADOPT_SCHEMA: schema},
    )
    done = run_bash(script, folder)
    assert done.returncode == 0, done.stderr[-4000:]
    return folder / "emailgistics-project"


def meltano(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """One `meltano` command in ``project``, in an operator's environment."""
    return subprocess.run(
        [MELTANO, *args],
        cwd=project,
        env=operator_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def own_schemas() -> dict[str, str]:
    """A schema of the tests' own for each schema the docs name (those may hold data)."""
    tag = uuid.uuid4().hex[:10]
    return {name: f"e2e_{tag}_{name}" for name in (ADOPT_SCHEMA, SECOND_SCHEMA, SHARED_SCHEMA)}


def drop(postgres: psycopg.Connection[Any], names: Iterable[str]) -> None:
    for name in names:
        postgres.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def dbt_schemas(schema: str) -> tuple[str, str, str]:
    """The schemas dbt builds given ``schema``: it, and its _staging and _marts."""
    return schema, f"{schema}_staging", f"{schema}_marts"


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def table(pg: psycopg.Connection[Any], schema: str, name: str) -> list[dict[str, Any]]:
    """Every row of ``schema.name``, with values as the tap sent them."""
    cursor = pg.execute(
        sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(name))
    )
    columns = [c.name for c in cursor.description or []]
    return [{c: plain(v) for c, v in zip(columns, row, strict=True)} for row in cursor]


def table_names(pg: psycopg.Connection[Any], schema: str) -> list[str]:
    """The tables of ``schema``, sorted."""
    rows = pg.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
    ).fetchall()
    return sorted(name for (name,) in rows)


def truth_until_now(control: SandboxControl, stream: str) -> dict[tuple[Any, ...], Any]:
    """The sandbox's rows of ``stream`` from the adopt block's start_date to its clock's day."""
    today = control.clock()["now"][:10]  # 12:29 UTC: the same date in all four mailbox zones
    ids = active_mailbox_ids(control)
    return truth_by_key(control, stream, ids, ADOPT_START, f"{today}T23:59:59")


def loaded_rows(
    pg: psycopg.Connection[Any], schema: str, account: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The mailboxes and report rows in ``schema`` (of one ``account`` column value if given)."""
    return {
        stream: [
            row for row in table(pg, schema, stream) if account is None or row["account"] == account
        ]
        for stream in ("mailboxes", *REPORT_STREAMS)
    }


def assert_holds_the_account(
    rows_of: dict[str, list[dict[str, Any]]], control: SandboxControl
) -> None:
    """The mailboxes and every report stream's rows are exactly this sandbox's, keys unique."""
    mailboxes = {row["mailboxId"] for row in rows_of["mailboxes"]}
    assert mailboxes == {m["mailboxId"] for m in control.mailboxes()}
    for stream, (_, dimension) in REPORT_STREAMS.items():
        keyed = {primary_key(row, dimension): row for row in rows_of[stream]}
        assert len(keyed) == len(rows_of[stream]), f"duplicate keys in {stream}"
        truth = truth_until_now(control, stream)
        assert keyed.keys() == truth.keys(), stream
        for key, want in truth.items():
            assert {k: keyed[key].get(k) for k in want} == want, (stream, key)
