"""Settings: what a tap run is told to do, checked before any request.

Their schema (``schema``), their checks and parsed values (``parse``), and the files
named on the command line (``inputs``).
"""
