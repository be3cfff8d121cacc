"""The fault campaign at CI size: 20 days x the five default streams, >= 150 random faults.

The full size (90 days, >= 1,000 faults) is `python scripts/fault_campaign.py`; both run the
same code (scripts/fault_campaign.py).
"""

from __future__ import annotations

import pathlib
import time

from tests.robustness.campaigns.fault_campaign import run_campaign
from tests.support.contract import DEFAULT_STREAMS

REQUIRED_KINDS = {
    "rate_limit",
    "server_error",
    "reset",
    "download_reset",
    "truncate",
    "expired_url",
    "storage_403",
    "slow",
}


def test_reduced_campaign_equals_a_clean_run(tmp_path: pathlib.Path) -> None:
    began = time.monotonic()
    result = run_campaign(days_count=20, duckdb_path=tmp_path / "campaign.duckdb")
    print(result.report())  # the figures, in the test log
    assert result.streams == DEFAULT_STREAMS
    assert result.error is None, result.error
    assert result.total_faults >= 150
    assert result.total_faults / result.requests >= 0.20
    assert set(result.faults) >= REQUIRED_KINDS, sorted(result.faults)
    assert result.retries > 0
    assert result.re_exports > 0
    assert result.problems == []
    assert sum(result.duplicate_keys.values()) == 0
    assert sum(result.differing_rows.values()) == 0
    assert len(result.duplicate_keys) == len(DEFAULT_STREAMS)
    assert result.ok
    assert time.monotonic() - began < 60
