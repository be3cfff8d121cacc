"""Adaptive parallelism through the real tap: it finds what the emulator sustains (issue 13)."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest

from langdock_emulator import Emulator
from tap_langdock import concurrency, progress
from tests.support.tap_runner import run_tap, tap_config

START = dt.date(2025, 3, 1)
DAYS = [(START + dt.timedelta(days=i)).isoformat() for i in range(30)]


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    # One adaptive limit per API and ceiling in the process: every test starts from scratch.
    monkeypatch.setattr(concurrency, "_LIMITS", {})


def window_order(run: t.Any) -> list[str]:
    return [r["window_start"] for r in run.records["projects_usage"]]


def test_a_capped_server_is_found_without_a_flood(emulator: Emulator) -> None:
    emulator.settings.export_latency_seconds = 0.15
    emulator.settings.max_concurrent_exports = 3
    config = tap_config(emulator, start_date=DAYS[0], end_date=DAYS[-1], max_parallel_exports=12)
    run = run_tap(config)
    assert run.error is None, run.error
    order = window_order(run)
    assert order == sorted(order)
    assert set(order) == set(DAYS)
    counts = emulator.load.counts()
    assert counts["peak_exports_in_flight"] <= 3
    # It starts at 4 and learns the cap: a handful of 429s, not one per window.
    assert counts["exports_turned_away"] <= 6, counts
    assert [s["bookmarks"]["projects_usage"]["exported_through"] for s in run.states][-1] == DAYS[
        -1
    ]


def test_a_steady_server_gets_more_than_the_start(emulator: Emulator) -> None:
    # Requests start at most every 0.1 s (prefetch.Turn), so more than 4 are in flight only
    # when an export takes well over 0.4 s.
    emulator.settings.export_latency_seconds = 0.8
    config = tap_config(emulator, start_date=DAYS[0], end_date=DAYS[-1], max_parallel_exports=12)
    run = run_tap(config)
    assert run.error is None, run.error
    assert emulator.load.counts()["peak_exports_in_flight"] > concurrency.DEFAULT_INITIAL
    assert emulator.load.counts()["exports_turned_away"] == 0


def test_one_at_a_time_stays_one_at_a_time(emulator: Emulator) -> None:
    emulator.settings.export_latency_seconds = 0.05
    config = tap_config(emulator, start_date=DAYS[0], end_date=DAYS[9], max_parallel_exports=1)
    run = run_tap(config)
    assert run.error is None, run.error
    assert emulator.load.counts()["peak_exports_in_flight"] == 1


def test_backfill_progress_lines(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "BACKFILL_EVERY_SECONDS", 0.0)
    config = tap_config(emulator, start_date=DAYS[0], end_date=DAYS[9], max_parallel_exports=4)
    run = run_tap(config)
    assert run.error is None, run.error
    lines = [line for line in run.log.splitlines() if "windows done" in line]
    assert len(lines) == 9  # after every window but the last, which the summary reports
    assert "projects_usage: 1 of 10 windows done" in lines[0]
    assert "exports in flight (limit " in lines[0]
    assert "left" in lines[-1]
