"""The run journal on disk: what it keeps, for how long, for whom, and that it never fails."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from tap_emailgistics.engine.journal import (
    RunJournal,
    account_name,
    journal_folder,
    open_journal,
)
from tap_emailgistics.values import RunRequest

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime.now(UTC).replace(microsecond=0)
KEY = "unit-test-secret-key"
BASE = "https://c1.emailgistics.com"


def request(day: int) -> RunRequest:
    body = {"mailboxId": "m1", "start": f"2026-04-{day:02d}T00:00:00", "period": "day"}
    return RunRequest("POST", body=body, params={"fieldGroup": "replyData"})


def journal(folder: Path) -> RunJournal:
    return RunJournal(folder, account_name(BASE, KEY))


def test_given_a_created_run_when_the_journal_is_opened_again_then_its_link_is_there(
    tmp_path: Path,
) -> None:
    journal(tmp_path).created(
        "mailbox_performance", request(1), "https://c1.emailgistics.com/r/1", NOW
    )
    again = journal(tmp_path)
    assert (
        again.link("mailbox_performance", request(1), NOW + timedelta(hours=1), None)
        == "https://c1.emailgistics.com/r/1"
    )
    assert (
        again.link("mailbox_performance", request(2), NOW, None) is None
    )  # another window, another request


def test_given_a_settled_run_when_opened_again_then_it_is_gone_and_the_file_shrank(
    tmp_path: Path,
) -> None:
    first = journal(tmp_path)
    for day in range(1, 11):
        first.created("mailbox_performance", request(day), f"https://x/r/{day}", NOW)
    for day in range(1, 10):
        first.dropped("mailbox_performance", request(day))
    again = journal(tmp_path)
    assert again.runs == 1
    assert again.link("mailbox_performance", request(1), NOW, None) is None
    lines = again.path.read_text().splitlines()
    assert len(lines) == 1  # rewritten with the live entry only
    assert json.loads(lines[0])["results"] == "https://x/r/10"


def test_given_a_run_older_than_its_result_when_asked_then_it_is_not_read(tmp_path: Path) -> None:
    created = journal(tmp_path)
    created.created("mailbox_performance", request(1), "https://x/r/1", NOW)
    assert (
        created.link("mailbox_performance", request(1), NOW + timedelta(hours=22, minutes=59), None)
        == "https://x/r/1"
    )
    assert (
        created.link("mailbox_performance", request(1), NOW + timedelta(hours=23, minutes=1), None)
        is None
    )


def test_given_a_run_created_after_the_apis_now_when_asked_then_it_is_not_read(
    tmp_path: Path,
) -> None:
    created = journal(tmp_path)
    created.created("mailbox_performance", request(1), "https://x/r/1", NOW)
    # The API's clock went back (a restored account): the run is not this history's.
    assert created.link("mailbox_performance", request(1), NOW - timedelta(hours=2), None) is None
    assert (  # a whole-second Date a moment behind the one it was created by is fine
        created.link("mailbox_performance", request(1), NOW - timedelta(seconds=1), None)
        == "https://x/r/1"
    )


def test_given_two_accounts_when_journaled_then_neither_sees_the_others_runs(
    tmp_path: Path,
) -> None:
    RunJournal(tmp_path, account_name(BASE, KEY)).created(
        "mailbox_performance", request(1), "https://x/r/1", NOW
    )
    other = RunJournal(tmp_path, account_name(BASE, "another-account-key"))
    assert other.link("mailbox_performance", request(1), NOW, None) is None
    text = "".join(path.read_text() for path in tmp_path.iterdir())
    assert KEY not in text
    assert KEY not in "".join(path.name for path in tmp_path.iterdir())


def test_given_two_processes_of_one_account_when_both_write_then_no_line_is_lost(
    tmp_path: Path,
) -> None:
    one, two = journal(tmp_path), journal(tmp_path)
    for day in range(1, 21):
        (one if day % 2 else two).created(
            "mailbox_performance", request(day), f"https://x/r/{day}", NOW
        )
    assert journal(tmp_path).runs == 20


def test_given_the_journal_when_written_then_only_its_owner_can_read_it(tmp_path: Path) -> None:
    folder = tmp_path / "journal"
    journal(folder).created("mailbox_performance", request(1), "https://x/r/1", NOW)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    [path] = folder.iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_given_a_line_cut_off_by_a_kill_when_opened_then_the_others_are_kept(
    tmp_path: Path,
) -> None:
    first = journal(tmp_path)
    first.created("mailbox_performance", request(1), "https://x/r/1", NOW)
    with first.path.open("a") as handle:
        handle.write('{"request": "abc", "resu')
    assert journal(tmp_path).link("mailbox_performance", request(1), NOW, None) == "https://x/r/1"


def test_given_another_accounts_journal_untouched_for_a_day_when_opened_then_it_is_removed(
    tmp_path: Path,
) -> None:
    old = tmp_path / account_name(BASE, "an-old-account-key")
    old.write_text("")
    day_ago = datetime.now(UTC).timestamp() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    journal(tmp_path)
    assert not old.exists()


def test_given_a_folder_that_cannot_be_written_when_opened_then_one_warning_and_no_journal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert open_journal(blocked / "journal", BASE, KEY) is None
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith(f"The run journal is off for this sync: {blocked / 'journal'}")
    assert "Set run_journal_dir to a folder this user can write" in warning


@pytest.mark.parametrize(
    ("configured", "environ", "expected"),
    [
        ("/data/journal", {"MELTANO_SYS_DIR_ROOT": "/p/.meltano"}, "/data/journal"),
        (None, {"MELTANO_SYS_DIR_ROOT": "/p/.meltano"}, "/p/.meltano/run/tap-emailgistics/journal"),
        (None, {"XDG_CACHE_HOME": "/c"}, "/c/tap-emailgistics/journal"),
    ],
    ids=["the setting", "under Meltano", "the user's cache"],
)
def test_given_where_it_runs_when_the_folder_is_chosen_then_the_documented_one(
    configured: str | None, environ: dict[str, str], expected: str
) -> None:
    assert str(journal_folder(configured, environ)) == expected


def test_given_two_reports_sent_the_same_request_when_journaled_then_each_reads_its_own(
    tmp_path: Path,
) -> None:
    # The aggregate reports take the same body and query: the stream tells them apart.
    runs = journal(tmp_path)
    runs.created("mailbox_performance", request(1), "https://x/r/mailbox", NOW)
    runs.created("domain_performance", request(1), "https://x/r/domain", NOW)
    again = journal(tmp_path)
    assert again.link("mailbox_performance", request(1), NOW, None) == "https://x/r/mailbox"
    assert again.link("domain_performance", request(1), NOW, None) == "https://x/r/domain"
    assert again.link("user_performance", request(1), NOW, None) is None


def test_given_a_run_the_tap_verified_when_the_state_lost_it_then_it_is_read_again(
    tmp_path: Path,
) -> None:
    runs = journal(tmp_path)
    runs.created("mailbox_performance", request(1), "https://x/r/1", NOW)
    runs.verified("mailbox_performance", request(1), NOW + timedelta(minutes=5))
    again = journal(tmp_path)
    before = NOW - timedelta(hours=1)  # the incoming state's last verification
    assert again.link("mailbox_performance", request(1), NOW, before) == "https://x/r/1"
    assert again.link("mailbox_performance", request(1), NOW, None) == "https://x/r/1"


def test_given_a_run_the_saved_state_verified_when_planned_again_then_a_fresh_run(
    tmp_path: Path,
) -> None:
    # A provisional window planned again by the next sync must be run again: the
    # journal's run has the old cutoff.
    runs = journal(tmp_path)
    runs.created("mailbox_performance", request(1), "https://x/r/1", NOW)
    verified = NOW + timedelta(minutes=5)
    runs.verified("mailbox_performance", request(1), verified)
    again = journal(tmp_path)
    assert again.link("mailbox_performance", request(1), NOW, verified) is None
    assert journal(tmp_path).runs == 0  # and it left the journal
