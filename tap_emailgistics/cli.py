"""``tap-emailgistics``: the SDK's CLI, failing in one line with a meaningful exit code.

0 success; 1 a person must change something; 2 incomplete data this time (rerun
later); 3 some partitions failed; 130 / 143 interrupted by SIGINT / SIGTERM (see
``errors``). The line is printed as is, or, where the SDK's log configuration is given
(``SINGER_SDK_LOG_CONFIG``, as Meltano does), logged at ERROR through it, so that
Meltano shows it as an error. Everything printed goes through the redactor, so no
secret setting can reach the output.
"""

from __future__ import annotations

import logging
import logging.config
import os
import sys
from pathlib import Path

import yaml

from tap_emailgistics.errors import (
    EXIT_NEEDS_A_PERSON,
    EmailgisticsError,
    RunInterruptedError,
    SyncStoppedError,
)
from tap_emailgistics.settings.inputs import check_command_line
from tap_emailgistics.transport.redaction import REDACTOR, redact_standard_streams

_SIGINT_EXIT = 130


def main() -> None:
    """Run the tap; any failure ends it with one line on stderr and a non-zero exit."""
    redact_standard_streams()
    try:
        check_command_line(sys.argv[1:], REDACTOR.add)
        from tap_emailgistics.tap import TapEmailgistics  # noqa: PLC0415 - after redaction

        TapEmailgistics.cli()
    except EmailgisticsError as error:
        _fail(str(error), error.exit_code)
    except SyncStoppedError as stopped:
        _fail(str(stopped.error), stopped.error.exit_code)
    except RunInterruptedError as interrupted:
        _fail(str(interrupted), interrupted.exit_code)
    except KeyboardInterrupt:  # before the tap installed its own handlers
        _fail("Interrupted by SIGINT before the sync started; nothing was written.", _SIGINT_EXIT)
    except Exception as error:  # a bug: still one line, the traceback at debug level
        logging.getLogger("tap-emailgistics").debug("Unexpected error", exc_info=True)
        _fail(
            f"Unexpected {type(error).__name__}: {error}. This is a bug in tap-emailgistics; "
            "the bookmark did not move past unfetched data. Rerun with "
            "TAP_EMAILGISTICS_LOGLEVEL=DEBUG for the traceback and report it.",
            EXIT_NEEDS_A_PERSON,
        )


def error_line(reason: str) -> str:
    """The one line a failure ends with: ``tap-emailgistics: error: <reason>``."""
    return "tap-emailgistics: error: " + " ".join(reason.split())


def _fail(reason: str, exit_code: int) -> None:
    if _log_configured():
        logging.getLogger("tap-emailgistics").error("%s", error_line(reason))
    else:
        print(error_line(reason), file=sys.stderr)  # noqa: T201
    sys.exit(exit_code)


def _log_configured() -> bool:
    """Whether a log configuration is given (Meltano's), and set up: the SDK may not be yet.

    A failure before the SDK read it (a damaged config file) sets it up here.
    """
    path = os.environ.get("SINGER_SDK_LOG_CONFIG")
    if not path:
        return False
    if logging.getLogger().handlers:
        return True
    try:
        logging.config.dictConfig(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, AttributeError, yaml.YAMLError):
        return False
    return True
