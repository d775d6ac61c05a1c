"""Issue "Finality watermarks": rows that never claim more finality than the state.

Three syncs with the sandbox clock moving between them; after each, every watermark row
equals the bookmark of the STATE written before it, and keeps exactly the final rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.inprocess import sync
from tests.truth import REPORT_STREAMS, active_mailbox_ids, primary_key, truth_by_key

from .conftest import tap_config

if TYPE_CHECKING:
    from emailgistics_sandbox import Sandbox, SandboxControl

STREAMS = {*REPORT_STREAMS, "finality_watermarks"}


def final_by_watermark(rows: list[dict[str, Any]], marks: dict[Any, dict[str, Any]]) -> set[Any]:
    """Keys of the rows the README's query keeps: starts before their watermark."""
    return {
        primary_key(row, None)
        for row in rows
        if row["startDateTimeUtc"] < marks[row["mailboxId"], row["period"]]["finalThroughUtc"]
    }


def test_given_three_runs_when_watermarks_are_written_then_each_equals_the_state_before_it(
    sandbox: Sandbox, control: SandboxControl
) -> None:
    ids = active_mailbox_ids(control)
    config = tap_config(sandbox.base_url, start_date="2026-04-26", mailbox_ids=ids)
    del config["end_date"]  # up to the API's now, as a scheduled job runs
    state: dict[str, Any] | None = None
    upserted: dict[Any, dict[str, Any]] = {}
    for advance in (0, 1, 2):
        control.advance(hours=10 * advance)
        done = sync(config, STREAMS, state)
        assert done.error is None
        kinds = [m["type"] for m in done.messages]
        marks = [
            m
            for m in done.messages
            if m["type"] == "RECORD" and m["stream"] == "finality_watermarks"
        ]
        assert len(marks) == len(REPORT_STREAMS) * len(ids)  # one per partition touched
        first_mark = done.messages.index(marks[0])
        # Every report row and the STATE holding the same bookmarks came first.
        assert "RECORD" not in [
            k
            for k, m in zip(kinds[first_mark:], done.messages[first_mark:], strict=True)
            if m.get("stream") != "finality_watermarks"
        ]
        last_state = [m for m in done.messages[:first_mark] if m["type"] == "STATE"][-1]["value"]
        for mark in (m["record"] for m in marks):
            [partition] = [
                p
                for p in last_state["bookmarks"][mark["stream"]]["partitions"]
                if p["context"] == {"mailboxId": mark["mailboxId"], "period": mark["period"]}
            ]
            assert mark["finalThroughLocal"] == partition["provisional_from"]
            assert mark["provisionalPeriods"] >= 1  # no end_date: today is provisional
        state = done.state
        for row in done.rows("mailbox_performance"):
            upserted[primary_key(row, None)] = row
        by_partition = {
            (m["record"]["mailboxId"], m["record"]["period"]): m["record"]
            for m in marks
            if m["record"]["stream"] == "mailbox_performance"
        }
        truth = truth_by_key(
            control, "mailbox_performance", ids, "2026-04-26", "2026-05-09T23:59:59"
        )
        final = {k for k, r in truth.items() if r["isFinal"]}
        assert final_by_watermark(list(upserted.values()), by_partition) == final
