"""The run journal: report runs this machine created and has not seen verified, outside STATE.

A stopped pipeline may keep no state: SIGTERM to the whole process group (a scheduler's
timeout) or a kill before Meltano's first save starts the next sync from the last saved
state. The report runs the stopped process created still live at the API for 24 hours,
and creating them again is the expensive part of a sync. So each created run is written
to a small local journal too: its request's fingerprint (which is report, mailbox,
window, period and field groups), its results link and when it was created (the API's
clock) -- never the key; and when the tap verified it. Entries are by stream, mailbox
and request (two reports can be sent the same body and query). A sync that plans a
window whose run is in the journal and young enough (``USABLE_FOR``) reads it instead
of creating it, and verifies it like any other run; a run that is gone (404) or ended in
error is created again. A run the tap verified stays in the journal too, because the
state holding that verification may be the one the stop lost; it is read again only
while the incoming state does not hold it (the partition's ``verified_at`` is older),
so a sync after a saved one creates fresh runs for its provisional periods.

One file per account (the base URL and a digest of the key name it), appended a line at
a time under an exclusive lock, so several processes (shards, accounts) can share the
folder; when a sync opens the journal, the file is rewritten with its live entries only
(not yet verified, younger than a day), and other accounts' files untouched for a day
are removed. The folder is its owner's alone (0700, files 0600).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tap_emailgistics.engine.in_flight import fingerprint

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from tap_emailgistics.values import RunRequest

LOGGER = logging.getLogger("tap-emailgistics")
#: Results live 24 h after their run started; a run may have taken up to ~1 h of that.
USABLE_FOR = timedelta(hours=23)
#: A run "created" later than the API's now is not this account's history (a clock set
#: back, a restored account): read nothing from it. The slack absorbs whole-second Dates.
_CLOCK_SLACK = timedelta(minutes=1)
_KEPT_FOR_SECONDS = 24 * 3600.0


def journal_folder(configured: str | None, environ: Mapping[str, str]) -> Path:
    """``run_journal_dir``, else the Meltano project's ``.meltano``, else the user's cache."""
    if configured:
        return Path(configured).expanduser()
    if meltano := environ.get("MELTANO_SYS_DIR_ROOT"):  # set by Meltano for its plugins
        return Path(meltano) / "run" / "tap-emailgistics" / "journal"
    cache = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "tap-emailgistics" / "journal"


def open_journal(folder: Path, base_url: str, api_key: str) -> RunJournal | None:
    """The account's journal in ``folder``; None, with one warning, if it cannot be used."""
    try:
        return RunJournal(folder, account_name(base_url, api_key))
    except OSError as error:
        LOGGER.warning(
            "The run journal is off for this sync: %s cannot be used (%s). Set "
            "run_journal_dir to a folder this user can write, or run_journal to false.",
            folder,
            error.strerror or type(error).__name__,
        )
        return None


def account_name(base_url: str, api_key: str) -> str:
    """The account's file name: a digest of the base URL and the key (never the key)."""
    digest = hashlib.sha256(f"{base_url.rstrip('/')}\n{api_key}".encode()).hexdigest()
    return f"{digest[:24]}.jsonl"


class RunJournal:
    """The journal of one account in ``folder``: created runs, until verified or dropped."""

    def __init__(self, folder: Path, account: str) -> None:
        """Open (and tidy) the journal; raises ``OSError`` when the folder is unusable."""
        self.path = folder / account
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
        self._entries: dict[str, dict[str, Any]] = {}
        with self._locked() as handle:
            self._entries = _live(handle.read())
            handle.seek(0)
            handle.truncate()
            handle.write("".join(_line(entry) for entry in self._entries.values()))
        _sweep(folder, keep=self.path)

    @property
    def runs(self) -> int:
        """Runs the journal holds (created, not yet verified)."""
        return len(self._entries)

    def link(
        self,
        subject: str,
        request: RunRequest,
        api_now: datetime,
        state_verified: datetime | None,
    ) -> str | None:
        """The results link of ``subject``'s run for exactly ``request``, if it may be read.

        ``subject`` names the stream and mailbox; ``state_verified``: when the incoming
        state last verified the partition (None: never). A run verified at or before
        then is in the state already: it is not read again, and leaves the journal.
        """
        key = _key(subject, request)
        entry = self._entries.get(key)
        if entry is None:
            return None
        try:
            created = datetime.fromisoformat(str(entry["createdAt"]))
            verified = entry.get("verifiedAt")
            seen = (
                verified is not None
                and state_verified is not None
                and (datetime.fromisoformat(str(verified)) <= state_verified)
            )
        except ValueError:
            return None
        if seen:  # the state has this verification: a sync after it wants fresh runs
            self.dropped(subject, request)
            return None
        age = api_now - created
        return str(entry["results"]) if -_CLOCK_SLACK <= age <= USABLE_FOR else None

    def created(self, subject: str, request: RunRequest, link: str, api_now: datetime) -> None:
        """``subject`` created a run for ``request``: its results link can be read for a day."""
        key = _key(subject, request)
        entry: dict[str, Any] = {
            "request": key,
            "results": link,
            "createdAt": _instant(api_now),
            "written": int(time.time()),  # this machine's clock, to tidy the file by
        }
        self._entries[key] = entry
        self._append(entry)

    def verified(self, subject: str, request: RunRequest, api_now: datetime) -> None:
        """The tap verified ``subject``'s run for ``request``, as of ``api_now``."""
        entry = self._entries.get(_key(subject, request))
        if entry is not None:
            entry["verifiedAt"] = _instant(api_now)
            self._append(entry)

    def dropped(self, subject: str, request: RunRequest) -> None:
        """``subject``'s run for ``request`` must not be read again."""
        key = _key(subject, request)
        if self._entries.pop(key, None) is not None:
            self._append({"request": key, "settled": True})

    def _append(self, entry: dict[str, Any]) -> None:
        try:
            with self._locked() as handle:
                handle.seek(0, os.SEEK_END)
                handle.write(_line(entry))
        except OSError as error:  # the journal saves runs; it never fails a sync
            LOGGER.warning("Could not write the run journal %s: %s", self.path, error)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[Any]:
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield handle
                handle.flush()
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _key(subject: str, request: RunRequest) -> str:
    return f"{subject}:{fingerprint(request)}"


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, separators=(",", ":")) + "\n"


def _live(text: str) -> dict[str, dict[str, Any]]:
    """The entries of a journal's lines: the last created of each request, unless settled."""
    entries: dict[str, dict[str, Any]] = {}
    oldest = time.time() - _KEPT_FOR_SECONDS  # the API's clock is not known yet
    for raw in text.splitlines():
        try:
            entry = json.loads(raw)
            key = str(entry["request"])
        except (ValueError, KeyError, TypeError):
            continue  # a line cut off by a kill: what it said is lost, nothing else
        if entry.get("settled"):
            entries.pop(key, None)
            continue
        written = entry.get("written")
        young = isinstance(written, int) and written > oldest
        if young and isinstance(entry.get("results"), str):
            entries[key] = entry
    return entries


def _sweep(folder: Path, keep: Path) -> None:
    """Remove other accounts' journals untouched for a day: nothing in them is usable."""
    stale = time.time() - _KEPT_FOR_SECONDS
    for path in folder.glob("*.jsonl"):
        with contextlib.suppress(OSError):
            if path != keep and path.stat().st_mtime < stale:
                path.unlink()
