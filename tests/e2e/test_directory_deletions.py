"""Issue "What an operator sees": what the API stops listing leaves the warehouse.

Two `meltano run`s into the real PostgreSQL (target-postgres as `plugin/` defines it:
ACTIVATE_VERSION processed, soft delete); between them the sandbox's directory drops a
user, a tag and a mailbox. Then those rows are flagged, nothing else is, and the
stale-partition query (docs/incremental-and-finality.md) finds the mailbox the key no
longer sees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from psycopg import sql

from tests.readme import readme_block
from tests.truth import REPORT_STREAMS, active_mailbox_ids

if TYPE_CHECKING:
    import psycopg

    from emailgistics_sandbox import SandboxControl

    from .conftest import Pipeline

pytestmark = pytest.mark.e2e


def live_and_deleted(
    pg: psycopg.Connection[Any], schema: str, table: str, key: str
) -> tuple[set[str], set[str]]:
    query = sql.SQL('SELECT {}, "_sdc_deleted_at" IS NOT NULL FROM {}.{}').format(
        sql.Identifier(key), sql.Identifier(schema), sql.Identifier(table)
    )
    rows = pg.execute(query).fetchall()
    return {k for k, gone in rows if not gone}, {k for k, gone in rows if gone}


def stale_partitions_query(schema: str) -> str:
    return readme_block("stale:postgres", "sql").replace("emailgistics_raw.", f"{schema}.")


def report_rows(pg: psycopg.Connection[Any], schema: str) -> dict[str, int]:
    counts = {}
    for stream in REPORT_STREAMS:
        query = sql.SQL('SELECT count(*) FILTER (WHERE "_sdc_deleted_at" IS NULL) FROM {}.{}')
        row = pg.execute(query.format(sql.Identifier(schema), sql.Identifier(stream))).fetchone()
        assert row is not None
        counts[stream] = int(row[0])
    return counts


def test_given_a_user_a_tag_and_a_mailbox_removed_when_rerun_then_flagged_and_reports_untouched(
    pipeline: Pipeline,
    control: SandboxControl,
    postgres: psycopg.Connection[Any],
) -> None:
    first = pipeline.run()
    assert first.returncode == 0, first.stderr[-3000:]
    schema = pipeline.schema
    before = report_rows(postgres, schema)
    mailbox, other = active_mailbox_ids(control)[:2]
    listed = {m["mailboxId"]: m for m in control.mailboxes()}
    user, tag = listed[other]["users"][0]["userId"], listed[other]["tags"][0]["tagId"]
    control.remove_from_directory(mailbox)
    control.remove_from_directory(other, user_id=user)
    control.remove_from_directory(other, tag_id=tag)
    control.advance(days=2)  # the removed mailbox's watermarks fall 2 days behind

    second = pipeline.run()
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"Mailbox {mailbox} has bookmarks in the state but is no longer listed" in second.stderr
    live, deleted = live_and_deleted(postgres, schema, "mailboxes", "mailboxId")
    assert deleted == {mailbox}
    assert live == set(listed) - {mailbox}
    _, users_gone = live_and_deleted(postgres, schema, "mailbox_users", "userId")
    assert user in users_gone
    _, tags_gone = live_and_deleted(postgres, schema, "mailbox_tags", "tagId")
    assert tag in tags_gone
    after = report_rows(postgres, schema)
    assert all(after[s] >= before[s] for s in REPORT_STREAMS)  # no report row flagged
    stale = postgres.execute(stale_partitions_query(schema)).fetchall()  # type: ignore[arg-type]
    assert {(stream, mailbox_id) for stream, mailbox_id, _, _ in stale} == {
        (stream, mailbox) for stream in REPORT_STREAMS
    }
