"""The Singer SDK's standard tap tests, against the sandbox over real HTTP."""

from __future__ import annotations

import atexit
from typing import Any

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from emailgistics_sandbox import Sandbox, SandboxSettings
from tap_emailgistics.tap import TapEmailgistics

from .conftest import tap_config

# The class is built at import time, so the sandbox it talks to starts here too.
_SANDBOX = Sandbox(SandboxSettings(run_seconds=0.05)).start()
atexit.register(_SANDBOX.stop)
_CONFIG = tap_config(
    _SANDBOX.base_url, start_date="2026-04-27", end_date="2026-05-02", include_details=True
)


def _select_everything(catalog: dict[str, Any]) -> dict[str, Any]:
    # Opt-in streams are deselected by default; the suite should check them too.
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            entry["metadata"]["selected"] = True
    return catalog


TestTapEmailgistics = get_tap_test_class(
    tap_class=TapEmailgistics,
    config=_CONFIG,
    catalog=_select_everything(TapEmailgistics(config=_CONFIG).catalog_dict),
    suite_config=SuiteConfig(max_records_limit=300),
)
