"""The Singer SDK's standard tap tests, for all eleven streams, against the emulator."""

from __future__ import annotations

import atexit
import typing as t

from secret_scan import TEST_API_KEY
from singer_sdk.testing import SuiteConfig, get_tap_test_class

from langdock_emulator import Emulator
from tap_langdock.tap import TapLangdock

# Standard tests are generated at import time from a fixed config, so the emulator has to
# be up before pytest collects them; it is closed when the interpreter exits.
_EMULATOR = Emulator(api_key=TEST_API_KEY, seed=11)
_EMULATOR.settings.byok = True  # models_usage_by_deployment exists only in BYOK workspaces
_EMULATOR.settings.extra_column = True
atexit.register(_EMULATOR.close)

CONFIG = {
    "api_key": TEST_API_KEY,
    "api_url": _EMULATOR.url,
    "start_date": "2025-06-01",
    "end_date": "2025-06-02",
    "timezone": "Europe/Berlin",
}


def _catalog_with_every_stream() -> dict[str, t.Any]:
    catalog = TapLangdock(config=CONFIG).catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                # audit_logs needs workspace_id: its standard tests are in tests/audit/.
                item["metadata"]["selected"] = entry["tap_stream_id"] != "audit_logs"
    return catalog


TestTapLangdock = get_tap_test_class(
    TapLangdock,
    config=CONFIG,
    catalog=_catalog_with_every_stream(),
    suite_config=SuiteConfig(max_records_limit=40, ignore_no_records_for_streams=["audit_logs"]),
)
