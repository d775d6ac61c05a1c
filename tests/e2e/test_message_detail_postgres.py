"""received_message_detail through `meltano run` into PostgreSQL: one row per message, upserted."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.truth import ACTIVITIES, MESSAGES, active_mailbox_ids, assert_equal_truth, message_truth

from .conftest import END, START
from .readme_project import table

if TYPE_CHECKING:
    import psycopg

    from emailgistics_sandbox import SandboxControl

    from .conftest import Pipeline

pytestmark = pytest.mark.e2e

#: Meltano's extra as an environment variable: the opt-in stream and the watermarks only.
SELECT = {"TAP_EMAILGISTICS__SELECT": json.dumps([f"{MESSAGES}.*", "finality_watermarks.*"])}


def loaded_messages(pg: psycopg.Connection[Any], schema: str) -> dict[tuple[str, str], Any]:
    rows = table(pg, schema, MESSAGES)
    keyed = {(r["mailboxId"], r["messageId"]): r for r in rows}
    assert len(keyed) == len(rows), "a message loaded twice"
    return keyed


def test_given_message_detail_selected_when_run_as_the_clock_moves_then_one_row_per_message(
    pipeline: Pipeline, control: SandboxControl, postgres: psycopg.Connection[Any]
) -> None:
    ids = active_mailbox_ids(control)
    for advance in (0, 1):
        control.advance(days=advance)
        done = pipeline.run(**SELECT)
        assert done.returncode == 0, done.stderr[-3000:]
        loaded = loaded_messages(postgres, pipeline.schema)
        assert_equal_truth(loaded, message_truth(control, ids, START, END))
    watermarks = table(postgres, pipeline.schema, "finality_watermarks")
    marks = [m for m in watermarks if m["stream"] == MESSAGES]
    assert {(m["mailboxId"], m["period"]) for m in marks} == {
        (mailbox, activity) for mailbox in ids for activity in ACTIVITIES
    }
    assert all(m["provisionalPeriods"] is None for m in marks)
