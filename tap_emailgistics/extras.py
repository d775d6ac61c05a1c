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
        self._declared_set = set(self.declared)
        self._reported: set[str] = set()

    def keep(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record with undeclared columns gathered in ``extraFields`` ({} if none)."""
        extras = {k: v for k, v in record.items() if k not in self._declared_set}
        for name in sorted(extras.keys() - self._reported):
            self.logger.warning(
                "Stream %s: the API sent column %r, which the schema does not declare; "
                "it is kept in %s.",
                self.stream_name,
                name,
                EXTRA_FIELDS,
            )
            self._reported.add(name)
        # Every declared column, null when the API left it out (rows may omit null
        # metrics): an upsert must overwrite a provisional value, not keep it.
        kept = {name: record.get(name) for name in self.declared}
        kept[EXTRA_FIELDS] = extras
        return kept
