"""``tap-emailgistics``: the SDK's CLI, failing in one line with a meaningful exit code.

0 success; 1 a person must change something; 2 incomplete data this time (rerun
later); 130 / 143 interrupted by SIGINT / SIGTERM (see ``errors``). Everything printed
goes through the redactor, so no secret setting can reach the output.
"""

from __future__ import annotations

import logging
import sys

from tap_emailgistics.errors import (
    EXIT_NEEDS_A_PERSON,
    EmailgisticsError,
    RunInterruptedError,
)
from tap_emailgistics.inputs import check_command_line
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
    except RunInterruptedError as interrupted:
        _fail(str(interrupted), interrupted.exit_code)
    except KeyboardInterrupt:  # before the tap installed its own handlers
        _fail("Interrupted by SIGINT before the sync started; nothing was written.", _SIGINT_EXIT)
    except Exception as error:  # a bug: still one line, the traceback at debug level
        logging.getLogger("tap-emailgistics").debug("Unexpected error", exc_info=True)
        _fail(
            f"Unexpected {type(error).__name__}: {error}. This is a bug in tap-emailgistics; "
            "the bookmark did not move past unfetched data. Rerun with "
            "TAP_EMAILGISTICS_LOG_LEVEL=DEBUG for the traceback and report it.",
            EXIT_NEEDS_A_PERSON,
        )


def error_line(reason: str) -> str:
    """The one line a failure ends with: ``tap-emailgistics: error: <reason>``."""
    return "tap-emailgistics: error: " + " ".join(reason.split())


def _fail(reason: str, exit_code: int) -> None:
    print(error_line(reason), file=sys.stderr)  # noqa: T201
    sys.exit(exit_code)
