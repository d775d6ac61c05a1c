"""``python -m tap_emailgistics``."""

from tap_emailgistics.cli import main

main()
