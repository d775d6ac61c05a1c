"""Issue "The Meltano user's path": the README's adoption commands, run verbatim.

A brand-new Meltano project in a temporary folder, every command of the README's
``adopt`` block (paths and the sandbox's port substituted), a real PostgreSQL, and
the tables checked against the sandbox's ground truth.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from tap_emailgistics.plugin_definition import default_selection
from tests.truth import REPORT_STREAMS, active_mailbox_ids, truth_by_key

from .conftest import MELTANO, ROOT

if TYPE_CHECKING:
    import psycopg

    from emailgistics_sandbox import Sandbox, SandboxControl

pytestmark = pytest.mark.e2e
README_SCHEMA = "emailgistics_raw"  # where the README loads: a user's data may be there


def readme_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"<!-- adopt:start.*?```bash\n(.*?)```\n<!-- adopt:end -->", readme, re.DOTALL
    )
    assert match, "README.md lost its adopt block"
    return match.group(1)


def readme_schedule_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"`(meltano schedule add [^`]*)`", readme)
    assert match, "README.md lost its schedule example"
    return " ".join(match.group(1).split())


def test_given_the_readme_when_read_then_it_selects_the_default_streams() -> None:
    selected = re.findall(r'meltano select tap-emailgistics (\w+) "\*"', readme_block())
    assert [f"{name}.*" for name in selected] == default_selection()


def test_given_a_new_meltano_project_when_the_readme_is_followed_then_postgres_holds_the_truth(
    tmp_path: Path,
    sandbox: Sandbox,
    control: SandboxControl,
    postgres: psycopg.Connection[Any],
) -> None:
    schema = f"e2e_adopt_{uuid.uuid4().hex[:10]}"  # this test's own: never the README's
    port = sandbox.base_url.rsplit(":", 1)[1]
    script = readme_block().replace("/path/to/tap-emailgistics", str(ROOT))
    script = script.replace("http://127.0.0.1:8765", f"http://127.0.0.1:{port}")
    assert f"default_target_schema {README_SCHEMA}" in script
    script = script.replace(
        f"default_target_schema {README_SCHEMA}", f"default_target_schema {schema}"
    )
    try:
        run_adoption(tmp_path, script, schema, control, postgres)
    finally:
        postgres.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def run_adoption(
    tmp_path: Path,
    script: str,
    schema: str,
    control: SandboxControl,
    postgres: psycopg.Connection[Any],
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MELTANO_", "TAP_", "TARGET_"))}
    env["PATH"] = f"{Path(MELTANO).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    schedule = subprocess.run(
        ["bash", "-c", readme_schedule_command()],
        cwd=tmp_path / "emailgistics-project",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Scheduled elt 'emailgistics-daily' at @daily" in schedule.stdout + schedule.stderr
    tables = postgres.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
    ).fetchall()
    assert sorted(name for (name,) in tables) == sorted(
        s.removesuffix(".*") for s in default_selection()
    )
    ids = active_mailbox_ids(control)
    for stream in REPORT_STREAMS:
        truth = truth_by_key(control, stream, ids, "2026-04-01", "2026-05-01T23:59:59")
        assert count(postgres, schema, stream) == len(truth), stream
    mailboxes = control.mailboxes()
    assert count(postgres, schema, "mailboxes") == len(mailboxes)
    assert count(postgres, schema, "mailbox_users") == sum(len(m["users"]) for m in mailboxes)


def count(postgres: psycopg.Connection[Any], schema: str, table: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {}.{}").format(
        sql.Identifier(schema), sql.Identifier(table)
    )
    row = postgres.execute(query).fetchone()
    assert row is not None
    return int(row[0])
