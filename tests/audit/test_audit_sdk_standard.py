"""The Singer SDK's standard tap tests for the audit_logs stream, against the emulator.

A tap with only this stream, so the generated per-stream and per-property tests are about it
alone (tests/tap/test_sdk_standard.py covers the usage exports). Emulator and tap use the
real clock here: the suite is generated at import time, before any fixture could set one.
"""

from __future__ import annotations

import atexit
import datetime as dt
import typing as t

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from langdock_emulator import Emulator
from tap_langdock._compat import override
from tap_langdock.audit.stream import AuditLogsStream
from tap_langdock.tap import TapLangdock
from tests.support.secrets import TEST_API_KEY

_EMULATOR = Emulator(api_key=TEST_API_KEY, seed=13)
atexit.register(_EMULATOR.close)

CONFIG = {
    "api_key": TEST_API_KEY,
    "api_url": _EMULATOR.url,
    "start_date": (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=2)).isoformat(),
    "workspace_id": _EMULATOR.audit.workspace_id,
    "pii": "hash",
}


class AuditOnlyTap(TapLangdock):
    """TapLangdock with audit_logs as its only stream."""

    @override
    def discover_streams(self) -> list[t.Any]:
        return [AuditLogsStream(self, run=self.run)]


def _selected_catalog() -> dict[str, t.Any]:
    catalog = AuditOnlyTap(config=CONFIG).catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = True
    return catalog


TestAuditLogsStandard = get_tap_test_class(
    AuditOnlyTap,
    config=CONFIG,
    catalog=_selected_catalog(),
    suite_config=SuiteConfig(max_records_limit=40),
)
