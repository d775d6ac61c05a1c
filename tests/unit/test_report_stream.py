"""The report stream's state: a STATE message after every completed window.

This pins the one place the tap reaches past the SDK's public API
(``tap_emailgistics/streams/bookmarked.py``): if an SDK upgrade changes how state is flushed,
how its own bookkeeping is kept, or what it logs at a partition's start, these say so.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tap_emailgistics.tap import TapEmailgistics

from .conftest import CONFIG, MAILBOX, REPORT_URL, make_tap, monthly_rows, seed

if TYPE_CHECKING:
    import pytest
    import requests_mock as rm


def messages(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


def bookmark(state: dict[str, Any]) -> str | None:
    partitions = state["bookmarks"]["mailbox_performance"]["partitions"]
    return partitions[0].get("provisional_from") if partitions else None


def bookmark_moves(out: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """RECORDs and the STATEs that move the bookmark (others record runs in flight)."""
    trail, last = [], None
    for m in out:
        if m["type"] == "RECORD":
            trail.append(("RECORD", m["record"]["startDateTime"][:7]))
        elif m["type"] == "STATE" and (moved := bookmark(m["value"])) != last:
            trail.append(("STATE", moved))
            last = moved
    return trail


def test_given_four_monthly_windows_when_synced_then_state_follows_each_window(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    requests_mock.post(
        REPORT_URL,
        [
            {"json": seed("monthly_done", data=monthly_rows(month), dataCutoffTimestamp=None)}
            for month in (1, 2, 3, 4)
        ],
    )
    stream = make_tap(window_days={"month": 31}).streams["mailbox_performance"]
    stream.sync()
    assert bookmark_moves(messages(capsys)) == [
        ("RECORD", "2026-01"),
        ("STATE", "2026-02-01T00:00:00"),
        ("RECORD", "2026-02"),
        ("STATE", "2026-03-01T00:00:00"),
        ("RECORD", "2026-03"),
        ("STATE", "2026-04-01T00:00:00"),
        ("RECORD", "2026-04"),
        ("STATE", "2026-05-01T00:00:00"),
    ]
    posts = [r.json() for r in requests_mock.request_history if r.method == "POST"]
    assert [(p["start"], p["end"]) for p in posts] == [
        ("2026-01-01T00:00:00", "2026-01-31T23:59:59"),
        ("2026-02-01T00:00:00", "2026-02-28T23:59:59"),
        ("2026-03-01T00:00:00", "2026-03-31T23:59:59"),
        ("2026-04-01T00:00:00", "2026-04-30T23:59:59"),
    ]


def test_given_a_provisional_window_when_later_windows_complete_then_the_bookmark_stays(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # March is still open (cutoff inside it); April lies after the cutoff entirely.
    requests_mock.post(
        REPORT_URL,
        [
            {"json": seed("monthly_done", data=monthly_rows(1, 2), dataCutoffTimestamp=None)},
            {
                "json": seed(
                    "monthly_done",
                    data=monthly_rows(3, 4),
                    dataCutoffTimestamp="2026-03-10T08:00:00.0",
                )
            },
        ],
    )
    stream = make_tap(window_days={"month": 62}).streams["mailbox_performance"]
    stream.sync()
    out = messages(capsys)
    states = [s for kind, s in bookmark_moves(out) if kind == "STATE"]
    assert states == ["2026-03-01T00:00:00"]  # the second window did not move it
    rows = [m["record"] for m in out if m["type"] == "RECORD"]
    assert [(r["startDateTime"][:7], r["isFinal"], r["dataCutoffTimestamp"]) for r in rows] == [
        ("2026-01", True, None),
        ("2026-02", True, None),
        ("2026-03", False, "2026-03-10T08:00:00.0"),
        ("2026-04", False, "2026-03-10T08:00:00.0"),
    ]


def test_given_a_saved_bookmark_when_synced_then_the_range_starts_there(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.post(REPORT_URL, json=seed("monthly_done", data=monthly_rows(4)))
    state = {
        "bookmarks": {
            "mailbox_performance": {
                "partitions": [
                    {
                        "context": {
                            "mailboxId": "af412a6c-657f-445b-892c-b6b1fa41ad1b",
                            "period": "month",
                        },
                        "provisional_from": "2026-04-01T00:00:00",
                    }
                ]
            }
        }
    }
    tap = make_tap()
    tap.load_state(state)
    list(
        tap.streams["mailbox_performance"].get_records(
            {"mailboxId": "af412a6c-657f-445b-892c-b6b1fa41ad1b", "period": "month"}
        )
    )
    posts = [r.json() for r in requests_mock.request_history if r.method == "POST"]
    assert [(p["start"], p["end"]) for p in posts] == [
        ("2026-04-01T00:00:00", "2026-04-30T23:59:59")
    ]


def test_given_a_synced_partition_when_state_is_written_then_it_holds_only_the_finality_bookmark(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    requests_mock.post(
        REPORT_URL, json=seed("monthly_done", data=monthly_rows(1, 2), dataCutoffTimestamp=None)
    )
    make_tap().streams["mailbox_performance"].sync()
    states = [m["value"] for m in messages(capsys) if m["type"] == "STATE"]
    stream_state = states[-1]["bookmarks"]["mailbox_performance"]
    assert set(stream_state) == {"partitions"}  # no SDK signpost at the stream level
    assert [set(p) for p in stream_state["partitions"]] == [
        {"context", "provisional_from", "verified_at"}
    ]


def test_given_state_with_the_sdk_keys_of_an_older_version_when_resumed_then_they_are_dropped(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    requests_mock.post(
        REPORT_URL, json=seed("monthly_done", data=monthly_rows(3), dataCutoffTimestamp=None)
    )
    tap = make_tap()
    context = {"mailboxId": MAILBOX, "period": "month"}
    partition = {
        "context": context,
        "provisional_from": "2026-03-01T00:00:00",
        "replication_key": "startDateTimeUtc",
        "replication_key_value": "2026-12-31T00:00:00Z",
        "starting_replication_value": "2020-01-01",
    }
    tap.load_state({"bookmarks": {"mailbox_performance": {"partitions": [partition]}}})
    with caplog.at_level("DEBUG"):  # a line per partition: DEBUG, so INFO stays O(streams)
        tap.streams["mailbox_performance"].sync()
    states = [m["value"] for m in messages(capsys) if m["type"] == "STATE"]
    [written] = states[-1]["bookmarks"]["mailbox_performance"]["partitions"]
    assert set(written) == {"context", "provisional_from", "verified_at"}
    assert (
        f"mailbox_performance, mailbox {MAILBOX}, period month: resuming from "
        "provisional_from 2026-03-01T00:00:00"
    ) in caplog.messages
    assert not any("Starting incremental sync" in m for m in caplog.messages)


def _rows(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [m["record"] for m in messages(capsys) if m["type"] == "RECORD"]


def test_given_no_deselected_column_when_synced_then_records_equal_the_sdks_own_path(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    done = seed("monthly_done", data=monthly_rows(1, 2), dataCutoffTimestamp=None)
    requests_mock.post(REPORT_URL, json=done)
    fast = make_tap().streams["mailbox_performance"]
    assert fast._deselects_columns is False
    fast.sync()
    skipped_walk = _rows(capsys)
    sdk = make_tap(run_journal=False).streams["mailbox_performance"]  # its own run
    sdk.__dict__["_deselects_columns"] = True  # force the SDK's own record path
    sdk.sync()
    assert skipped_walk == _rows(capsys)
    assert skipped_walk


def test_given_a_deselected_column_when_synced_then_it_is_left_out(
    requests_mock: rm.Mocker,
    capsys: pytest.CaptureFixture[str],
) -> None:
    done = seed("monthly_done", data=monthly_rows(1), dataCutoffTimestamp=None)
    requests_mock.post(REPORT_URL, json=done)
    tap = make_tap()
    catalog = tap.catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == ["properties", "received"]:
                metadata["metadata"]["selected"] = False
    config = {**CONFIG}
    stream = TapEmailgistics(config=config, catalog=catalog).streams["mailbox_performance"]
    stream.sync()
    [row] = _rows(capsys)
    assert "received" not in row
    assert "mailboxId" in row
