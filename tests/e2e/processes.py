"""Processes in sessions of their own, waited for by events, and Meltano's JSON log read back.

Used by the Meltano kill tests (``test_meltano_kills``): every wait is for an event;
``GUARD_SECONDS`` only ends a wait that would otherwise hang.
"""

from __future__ import annotations

import json
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable

SAVED = "Incremental state has been updated"
#: Hang guards only: every wait below is for an event, and these end a wait that would
#: otherwise never end; no test asserts how long anything took.
GUARD_SECONDS = 900.0


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie that nobody reaped yet does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    """The child processes of ``pid``, from each process's parent in ``/proc/*/stat``
    (this kernel has no ``/proc/<pid>/task/*/children``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError):
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


def session(leader: int) -> list[int]:
    """The processes of the session ``leader`` started (`start_new_session`): meltano
    and its plugins, also once a SIGKILL of meltano left them to init."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError):
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
            if int(fields[3]) == leader:
                found.append(int(stat.parent.name))
    return found


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            msg = f"hang guard: still waiting for {what}"
            raise AssertionError(msg)
        time.sleep(0.5)


@dataclass
class Launched:
    """One `meltano --log-format=json …` process, in its own session, logging to a file."""

    process: subprocess.Popen[bytes]
    log_path: Path
    started: float = field(default_factory=time.monotonic)
    _events: list[dict[str, Any]] = field(default_factory=list)
    _read: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def events(self) -> list[dict[str, Any]]:
        """Meltano's log events so far (whole lines only)."""
        with self.log_path.open("rb") as file:
            file.seek(self._read)
            chunk = file.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._read += len(complete)
        for line in complete.decode("utf-8", "replace").splitlines():
            with suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict):
                    self._events.append(event)
        return self._events

    def saves(self) -> int:
        """How often Meltano saved the state the target printed."""
        return sum(1 for e in self.events() if str(e.get("event", "")).startswith(SAVED))

    def until(self, condition: Callable[[], bool], what: str) -> None:
        """Wait for ``condition``; fail at once if meltano ended before it held."""

        def met() -> bool:
            if condition():
                return True
            if self.process.poll() is not None:
                msg = f"meltano ended (code {self.process.returncode}) before {what}"
                raise AssertionError(msg)
            return False

        wait_for(met, what)

    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 1)


@dataclass
class Finished:
    """A `meltano` command that ran to its end."""

    returncode: int
    text: str = field(repr=False)
    events: list[dict[str, Any]] = field(repr=False)
    seconds: float

    def exit_codes(self) -> dict[str, int]:
        """The plugins' own exit codes, from Meltano's "Block run completed" event."""
        [completed] = [e for e in self.events if e.get("event") == "Block run completed"]
        return dict(completed["exit_codes"])


def finished(launched: Launched) -> Finished:
    returncode = launched.process.wait(timeout=GUARD_SECONDS)
    text = launched.log_path.read_text(encoding="utf-8", errors="replace")
    return Finished(returncode, text, list(launched.events()), launched.seconds())
