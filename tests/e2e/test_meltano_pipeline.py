"""`meltano run tap-emailgistics target-postgres` for real, checked against ground truth."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.readme import readme_block
from tests.truth import REPORT_STREAMS, active_mailbox_ids, primary_key, truth_by_key

from .conftest import MELTANO, ROOT, START
from .readme_project import plain, table

if TYPE_CHECKING:
    import psycopg

    from emailgistics_sandbox import SandboxControl

    from .conftest import Pipeline

pytestmark = pytest.mark.e2e


def expected(control: SandboxControl, stream: str) -> dict[Any, Any]:
    return truth_by_key(control, stream, active_mailbox_ids(control), START, "2026-05-07T23:59:59")


def assert_tables_equal_truth(
    pg: psycopg.Connection[Any],
    pipeline: Pipeline,
    control: SandboxControl,
) -> dict[str, dict[Any, Any]]:
    loaded = {}
    for name, (_, dimension) in REPORT_STREAMS.items():
        rows = table(pg, pipeline.schema, name)
        keyed = {primary_key(r, dimension): r for r in rows}
        assert len(keyed) == len(rows), f"duplicate primary keys in {name}"
        truth = expected(control, name)
        assert keyed.keys() == truth.keys(), name
        for key, want in truth.items():
            assert {k: keyed[key].get(k) for k in want} == want, (name, key)
        loaded[name] = keyed
    return loaded


def readme_final_rows_query(schema: str) -> str:
    """The README's PostgreSQL example, verbatim apart from the schema name."""
    return readme_block("watermarks:postgres", "sql").replace("emailgistics_raw.", f"{schema}.")


def assert_watermarks_keep_exactly_the_final_rows(
    pg: psycopg.Connection[Any], pipeline: Pipeline, control: SandboxControl
) -> None:
    """The README's query returns the sandbox's final rows, no more, no fewer; and each
    watermark equals the bookmark the state holds for its partition."""
    cursor = pg.execute(readme_final_rows_query(pipeline.schema))  # type: ignore[arg-type]
    columns = [c.name for c in cursor.description or []]
    rows = [{c: plain(v) for c, v in zip(columns, row, strict=True)} for row in cursor]
    final = {k for k, r in expected(control, "mailbox_performance").items() if r["isFinal"]}
    assert {primary_key(r, None) for r in rows} == final
    bookmarks = pipeline.state()["singer_state"]["bookmarks"]
    for mark in table(pg, pipeline.schema, "finality_watermarks"):
        partitions = bookmarks[mark["stream"]]["partitions"]
        [state] = [
            p["provisional_from"]
            for p in partitions
            if p["context"] == {"mailboxId": mark["mailboxId"], "period": mark["period"]}
        ]
        assert mark["finalThroughLocal"] == state


def report_posts(control: SandboxControl) -> list[dict[str, Any]]:
    return [r for r in control.requests() if r["method"] == "POST"]


def test_given_three_runs_across_finality_when_loaded_then_postgres_equals_ground_truth(
    pipeline: Pipeline,
    control: SandboxControl,
    postgres: psycopg.Connection[Any],
) -> None:
    first = pipeline.run()
    assert first.returncode == 0, first.stderr[-3000:]
    # A good run: no warning from the tap or the loader (Meltano itself notes the first run).
    assert not re.findall(r"\[warning\s*\] (?!meltano ).*", first.stderr)
    run1 = assert_tables_equal_truth(postgres, pipeline, control)
    assert_watermarks_keep_exactly_the_final_rows(postgres, pipeline, control)
    state = pipeline.state()["singer_state"]["bookmarks"]
    for name in REPORT_STREAMS:
        partitions = state[name]["partitions"]
        assert len(partitions) == 3  # one bookmark per active mailbox and period
        assert all(p["provisional_from"] for p in partitions)

    control.advance(days=1)
    second = pipeline.run()
    assert second.returncode == 0, second.stderr[-3000:]
    assert not re.findall(r"\[warning\s*\].*", second.stderr)
    run2 = assert_tables_equal_truth(postgres, pipeline, control)
    assert_watermarks_keep_exactly_the_final_rows(postgres, pipeline, control)
    was_provisional = [k for k, r in run1["mailbox_performance"].items() if not r["isFinal"]]
    assert any(
        run2["mailbox_performance"][k]["received"] != run1["mailbox_performance"][k]["received"]
        for k in was_provisional
    )
    bookmarks = {
        p["context"]["mailboxId"]: p["provisional_from"]
        for p in pipeline.state()["singer_state"]["bookmarks"]["mailbox_performance"]["partitions"]
    }

    control.set_clock("2026-05-10T00:00:00Z")  # every extracted period is final now
    control.clear_requests()
    third = pipeline.run()
    assert third.returncode == 0, third.stderr[-3000:]
    run3 = assert_tables_equal_truth(postgres, pipeline, control)
    assert_watermarks_keep_exactly_the_final_rows(postgres, pipeline, control)
    assert all(r["isFinal"] for rows in run3.values() for r in rows.values())
    assert all(r["dataCutoffTimestamp"] is None for r in run3["mailbox_performance"].values())
    posts = report_posts(control)
    assert posts  # the provisional periods were asked for again...
    for post in posts:  # ...and nothing that was already final
        assert post["body"]["start"] >= bookmarks[post["body"]["mailboxId"]]


def test_given_a_run_that_fails_in_mailbox_2_when_rerun_then_nothing_missing_or_doubled(
    pipeline: Pipeline,
    control: SandboxControl,
    postgres: psycopg.Connection[Any],
) -> None:
    second_mailbox = active_mailbox_ids(control)[1]
    control.set_faults([{"kind": "run_error", "mailbox_id": second_mailbox}])
    failed = pipeline.run(TAP_EMAILGISTICS_RUN_ERROR_RETRIES="0")
    assert failed.returncode != 0
    assert "Report run failed" in failed.stderr
    control.set_faults([])
    rerun = pipeline.run()
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert_tables_equal_truth(postgres, pipeline, control)


def test_given_the_demo_loader_when_run_then_jsonl_files_hold_every_default_stream(
    pipeline: Pipeline,
    control: SandboxControl,
    tmp_path: Any,
) -> None:
    done = pipeline.run("target-jsonl", TARGET_JSONL_DESTINATION_PATH=str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    files = {p.stem: p.read_text().splitlines() for p in tmp_path.glob("*.jsonl")}
    directory = {"mailboxes", "mailbox_users", "mailbox_tags"}
    assert set(files) == {*directory, *REPORT_STREAMS, "finality_watermarks"}
    assert len(files["mailbox_performance"]) == len(expected(control, "mailbox_performance"))
    assert len(files["mailboxes"]) == len(control.mailboxes())


def test_given_the_readmes_clear_one_stream_lines_when_run_then_only_that_stream_starts_over(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    assert pipeline.run().returncode == 0
    script = readme_block("clear-stream").replace(
        "STATE_ID=dev:tap-emailgistics-to-target-postgres", f"STATE_ID={pipeline.state_id}"
    )
    script = script.replace("state.json", str(tmp_path / "state.json"))  # not in the repo
    env = pipeline.env()
    env["PATH"] = f"{Path(MELTANO).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", f"cd {ROOT} && {script}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    bookmarks = pipeline.state()["singer_state"]["bookmarks"]
    assert "mailbox_performance" not in bookmarks
    assert {"user_performance", "domain_performance"} <= set(bookmarks)


def test_given_a_setting_meltano_cannot_fix_when_run_then_meltano_logs_the_reason_as_an_error(
    pipeline: Pipeline,
) -> None:
    done = pipeline.run(TAP_EMAILGISTICS_BASE_URL=f"{pipeline.sandbox.base_url}/api/v1")
    assert done.returncode == 1  # Meltano's code for any failing extractor
    reasons = re.findall(r"\[(\w+)\s*\][^\n]*tap-emailgistics: error: ([^\n]*)", done.stderr)
    wrong = f"{pipeline.sandbox.base_url}/api/v1"
    assert [level for level, _ in reasons] == ["error"]
    assert reasons[0][1].startswith(f"Setting base_url ({wrong}) is not just a scheme and host")
