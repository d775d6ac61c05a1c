"""The ``/_sandbox`` control surface (clock, log, truth, faults, settings) and its client."""
