"""What every test shares: its own run journal folder (never the user's cache), no deadlines."""

from __future__ import annotations

import pytest
from hypothesis import settings

# A deadline is a timing goal, and timing goals live in benchmarks: with the suite's
# workers sharing two cores, a slow example is the machine's load, not a regression.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


@pytest.fixture(autouse=True)
def own_run_journal(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The journal's default folder is the user's cache (or Meltano's .meltano): a test
    # that reused another test's runs would count requests that are not its own.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("MELTANO_SYS_DIR_ROOT", raising=False)
