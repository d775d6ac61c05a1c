"""The files named on the command line, checked before the SDK reads them.

The SDK answers a missing or damaged file with a traceback; this says, in one line,
which file, which option, what is wrong and what to do. It also hands every secret
setting to the redactor before anything else can print it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tap_emailgistics.errors import InputFileError
from tap_emailgistics.settings.parse import SECRET_SETTINGS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

_KIND = {"--config": "Config", "--state": "State", "--catalog": "Catalog"}
_FIX = {
    "--config": "fix or regenerate it (meltano writes it for you on `meltano run`)",
    "--state": "it may have been cut off by a crash or a full disk: restore a good copy, "
    "or clear the pipeline's state (meltano state clear <state id>) to re-extract "
    "from start_date",
    "--catalog": "regenerate it with --discover (meltano select / meltano run do this)",
}


def named_files(argv: Sequence[str]) -> list[tuple[str, str]]:
    """``(option, path)`` for every ``--config``/``--state``/``--catalog`` in ``argv``."""
    found: list[tuple[str, str]] = []
    for index, argument in enumerate(argv):
        option, equals, value = argument.partition("=")
        if option not in _KIND:
            continue
        if not equals:
            value = argv[index + 1] if index + 1 < len(argv) else ""
        if value and not (option == "--config" and value == "ENV"):
            found.append((option, value))
    return found


def read_input_file(option: str, path: str) -> dict[str, Any]:
    """The JSON object in ``path``, or one line saying why there is none."""
    kind = _KIND[option]
    file = Path(path)
    if not file.is_file():
        msg = f"{kind} file {path} ({option}) does not exist: check the path."
        raise InputFileError(msg)
    try:
        parsed = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        msg = f"{kind} file {path} ({option}) is not UTF-8 text: {_FIX[option]}."
        raise InputFileError(msg) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}: {error.msg}"
        msg = f"{kind} file {path} ({option}) is not valid JSON ({where}): {_FIX[option]}."
        raise InputFileError(msg) from None
    if not isinstance(parsed, dict):
        msg = (
            f"{kind} file {path} ({option}) holds a JSON {type(parsed).__name__}, not an "
            f"object: {_FIX[option]}."
        )
        raise InputFileError(msg)
    if option == "--state":
        check_state_shape(parsed, path)
    return parsed


def check_state_shape(state: dict[str, Any], path: str) -> None:
    """The parts of a Singer state the SDK indexes into without checking."""
    fix = _FIX["--state"]
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        msg = f"State file {path} (--state): bookmarks is not an object: {fix}."
        raise InputFileError(msg)
    for stream, entry in bookmarks.items():
        partitions = entry.get("partitions", []) if isinstance(entry, dict) else None
        if not isinstance(partitions, list) or not all(
            isinstance(p, dict) and isinstance(p.get("context"), dict) for p in partitions
        ):
            msg = (
                f"State file {path} (--state): bookmarks.{stream} is not an object whose "
                f"partitions are objects with a context: {fix}."
            )
            raise InputFileError(msg)


def check_command_line(argv: Sequence[str], keep_secret: Callable[[object], None]) -> None:
    """Check every named file; pass every value of a secret setting to ``keep_secret``."""
    for option, path in named_files(argv):
        parsed = read_input_file(option, path)
        if option == "--config":
            for name in SECRET_SETTINGS:
                keep_secret(parsed.get(name))
    for name in SECRET_SETTINGS:  # --config ENV, or Meltano's environment
        keep_secret(os.environ.get(f"TAP_EMAILGISTICS_{name.upper()}"))
