"""The run engine: one report run's life, and many runs within the account's limits.

``run`` (create, poll, page, verify, re-create: ``recreation``), its request plan
(``paginator``) and the values it is made of (``values``, ``envelope``); the
``scheduler`` that keeps runs going ahead of the streams, within the account's slots
(``slots``) and the sync's time (``budget``), over a plan of ``tickets``; and the
records of runs in flight kept in state for a rerun (``in_flight``).
"""
