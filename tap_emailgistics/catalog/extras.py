"""Keeps columns the schema does not declare, instead of letting them be dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

EXTRA_FIELDS = "extraFields"


class ExtraFieldKeeper:
    """Moves undeclared columns into ``extraFields`` and logs each new name once."""

    def __init__(self, stream_name: str, declared: set[str], logger: logging.Logger) -> None:
        """``declared``: the schema's property names."""
        self.stream_name, self.logger = stream_name, logger
        self.declared = sorted(declared - {EXTRA_FIELDS})
        # Every declared column, null unless the row has it (rows may omit null
        # metrics): an upsert must overwrite a provisional value, not keep it.
        self._template: dict[str, Any] = dict.fromkeys([*self.declared, EXTRA_FIELDS])
        self._reported: set[str] = set()

    def keep(
        self, record: dict[str, Any], additions: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Every declared column of ``record`` and ``additions``; the rest in ``extraFields``.

        One dict merge per row: the declared columns in order (null where the row has
        none), then any undeclared ones, which are moved into ``extraFields`` ({} if none).
        """
        kept = {**self._template, **record, **(additions or {})}
        extras: dict[str, Any] = {}
        if len(kept) > len(self._template):
            extras = {name: kept.pop(name) for name in list(kept)[len(self._template) :]}
            self._report(extras)
        kept[EXTRA_FIELDS] = extras
        return kept

    def _report(self, extras: dict[str, Any]) -> None:
        for name in sorted(extras.keys() - self._reported):
            self.logger.warning(
                "Stream %s: the API sent column %r, which the schema does not declare; "
                "it is kept in %s.",
                self.stream_name,
                name,
                EXTRA_FIELDS,
            )
            self._reported.add(name)
