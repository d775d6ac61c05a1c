"""The ``/api/v1`` surface: the state it serves, request validation, the report endpoints."""
