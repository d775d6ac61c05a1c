"""The README's marked code blocks, which tests run or compare verbatim (so none goes stale)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_block(name: str, language: str = "bash") -> str:
    """The fenced ``language`` block between ``<!-- name:start … -->`` and ``<!-- name:end -->``."""
    marker = re.escape(name)
    match = re.search(
        rf"<!-- {marker}:start[^\n]*\n```{language}\n(.*?)```\n<!-- {marker}:end -->",
        README.read_text(encoding="utf-8"),
        re.DOTALL,
    )
    assert match, f"README.md lost its {name} block"
    return match.group(1)
