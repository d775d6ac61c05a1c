"""Where the per-stream JSON Schemas live, installed or in a source checkout."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from singer_sdk import SchemaDirectory, StreamSchema

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

_REPOSITORY_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def schema_directory() -> Traversable:
    """The folder of ``<stream name>.json`` files.

    A wheel carries ``schemas/`` inside the package (see pyproject's force-include);
    an editable install reads the repository's top-level ``schemas/`` directly.
    """
    packaged = files("tap_emailgistics").joinpath("schemas")
    if packaged.is_dir():
        return packaged
    return _REPOSITORY_SCHEMAS


#: One schema style everywhere: each stream's schema is ``schemas/<stream name>.json``.
STREAM_SCHEMA: StreamSchema[str] = StreamSchema(SchemaDirectory(schema_directory()))
