"""The one redaction point: no secret setting ever reaches stdout or stderr.

Everything the tap prints goes through ``sys.stdout`` or ``sys.stderr``: Singer
messages (records, STATE, the catalog of ``--discover``), ``--about``, every log
handler (plain or structured; the SDK creates them after ``cli.main`` wraps the
streams) and the one-line errors. Wrapping those two streams covers every source of
a secret at once: a config value, an API error that echoes the ``Authorization``
header, or a value inside a row.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any
from urllib.parse import quote

#: Shorter values are refused as API keys (settings), because replacing a short
#: string everywhere in the output would corrupt data instead of protecting a key.
MIN_SECRET_LENGTH = 8
MASK = "<redacted>"


class Redactor:
    """The secrets of this process, and every spelling of them that output may carry."""

    def __init__(self) -> None:
        """Start with no secrets."""
        self._forms: list[str] = []

    def add(self, secret: object) -> None:
        """Never print ``secret`` (as is, JSON-escaped or URL-encoded)."""
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
            return
        for form in (secret, json.dumps(secret)[1:-1], quote(secret, safe="")):
            if form not in self._forms:
                self._forms.append(form)
        self._forms.sort(key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by ``<redacted>``."""
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text


class RedactingStream:
    """A text stream that redacts what is written through it (and through its buffer)."""

    def __init__(self, stream: IO[str], redactor: Redactor) -> None:
        """Wrap ``stream``."""
        self._stream, self._redactor = stream, redactor

    def write(self, text: str) -> int:
        """Write ``text`` without secrets."""
        self._stream.write(self._redactor.redact(text))
        return len(text)

    def writelines(self, lines: Any) -> None:  # noqa: ANN401 - any iterable of str
        """Write each line without secrets."""
        for line in lines:
            self.write(line)

    @property
    def buffer(self) -> _RedactingBuffer:
        """Bytes written to the buffer are redacted too."""
        return _RedactingBuffer(self._stream, self._redactor)

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - the wrapped stream's own
        """Everything else (flush, fileno, encoding, ...) is the wrapped stream's."""
        return getattr(self._stream, name)


class _RedactingBuffer:
    def __init__(self, stream: IO[str], redactor: Redactor) -> None:
        self._stream, self._redactor = stream, redactor

    def write(self, data: bytes) -> int:
        encoding = getattr(self._stream, "encoding", None) or "utf-8"
        self._stream.write(self._redactor.redact(data.decode(encoding, "replace")))
        return len(data)

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - the wrapped buffer's own
        return getattr(self._stream.buffer, name)  # type: ignore[attr-defined]


REDACTOR = Redactor()


def redact_standard_streams() -> None:
    """Route ``sys.stdout`` and ``sys.stderr`` through ``REDACTOR`` (once per process)."""
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout, REDACTOR)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr, REDACTOR)
