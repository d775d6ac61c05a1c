"""target-postgres 0.8.1 whose first drain on age comes after seconds, not 5 minutes.

Under `meltano run`, Meltano saves the STATE lines the target prints, and a Singer SDK
target prints one when it drains all its sinks: at the end of its input, when signalled,
or when a record arrives more than 5 minutes after the last drain. So the real target
hands Meltano its first state 5 minutes into a sync and the next one 5 minutes later.
The kill tests stop pipelines after that first save; this loader makes only the first
wait ``QUICK_DRAIN_SECONDS`` (default 20) long and every later one the SDK's own, so a
stop "after a save" comes a minute into a sync instead of six, with the same sequence of
saves. The SDK has no setting for the age (``Target._MAX_RECORD_AGE_IN_MINUTES``, the one
private name used, here only). One kill test keeps the real target and its 5 minutes.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from singer_sdk import Target
from target_postgres.target import TargetPostgres

DEFAULT_SECONDS = 20.0


class TargetPostgresQuickDrain(TargetPostgres):
    """The first age drain after ``QUICK_DRAIN_SECONDS``; then the SDK's 5 minutes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        seconds = float(os.environ.get("QUICK_DRAIN_SECONDS", DEFAULT_SECONDS))
        self._MAX_RECORD_AGE_IN_MINUTES = seconds / 60

    def drain_all(self, *, is_endofpipe: bool = False) -> None:
        super().drain_all(is_endofpipe=is_endofpipe)
        self._MAX_RECORD_AGE_IN_MINUTES = Target._MAX_RECORD_AGE_IN_MINUTES


def main() -> None:
    sys.exit(TargetPostgresQuickDrain.cli())
