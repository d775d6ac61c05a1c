"""``tap-emailgistics``: the SDK's CLI, with our errors as one actionable line."""

from __future__ import annotations

import sys

from tap_emailgistics.errors import EmailgisticsError
from tap_emailgistics.tap import TapEmailgistics


def main() -> None:
    """Run the tap; an ``EmailgisticsError`` ends it with one line and exit code 1."""
    try:
        TapEmailgistics.cli()
    except EmailgisticsError as error:
        print(f"tap-emailgistics: error: {error}", file=sys.stderr)  # noqa: T201
        sys.exit(1)
