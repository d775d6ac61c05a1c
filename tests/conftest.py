"""What every test shares: its own run journal folder, never the user's cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def own_run_journal(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The journal's default folder is the user's cache (or Meltano's .meltano): a test
    # that reused another test's runs would count requests that are not its own.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("MELTANO_SYS_DIR_ROOT", raising=False)
