"""Pipelined exports: windows exported ahead on threads, emitted and checkpointed in order.

The pieces on their own are tested in tests/unit/test_rate_limit.py and test_prefetch.py.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
import threading
import time
import typing as t

import pytest
from singer_sdk.exceptions import AbortedSyncFailedException, AbortedSyncPausedException

from langdock_emulator import Emulator
from tap_langdock.client import LangdockStream
from tap_langdock.errors import ExportError
from tap_langdock.export.transport import ExportApi
from tap_langdock.rate_limit import shared_limiter
from tap_langdock.tap import TapLangdock
from tests.support.tap_runner import run_tap, tap_config

DAYS = [f"2025-03-{d:02d}" for d in range(1, 9)]


def tap_threads() -> list[threading.Thread]:
    return [th for th in threading.enumerate() if th.name.startswith("tap-langdock-")]


def window_order(run: t.Any) -> list[str]:
    return [r["window_start"] for r in run.records["projects_usage"]]


class InFlight:
    """Counts export POSTs in flight at once; ``overlap`` holds the first until a second is out.

    Proof that exports overlap without measuring wall time (which a busy machine distorts):
    a run that never sends two at once would keep the first waiting, and fail.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, overlap: bool) -> None:
        self.now = self.peak = 0
        self._lock = threading.Lock()
        self._second = threading.Event()
        self._overlap = overlap
        original = ExportApi.post_export

        def counted(api: ExportApi, path: str, body: dict[str, t.Any]) -> t.Any:
            with self._lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
                if self.now >= 2:
                    self._second.set()
            try:
                if self._overlap:
                    assert self._second.wait(30), "no second export was sent meanwhile"
                return original(api, path, body)
            finally:
                with self._lock:
                    self.now -= 1

        monkeypatch.setattr(ExportApi, "post_export", counted)


def test_parallel_run_equals_sequential_run_and_overlaps_exports(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.settings.export_latency_seconds = 0.1
    config = tap_config(emulator, start_date=DAYS[0], end_date=DAYS[5])
    one = InFlight(monkeypatch, overlap=False)
    sequential = run_tap({**config, "max_parallel_exports": 1})
    assert one.peak == 1
    four = InFlight(monkeypatch, overlap=True)
    parallel = run_tap({**config, "max_parallel_exports": 4})
    assert sequential.error is None
    assert parallel.error is None
    assert 2 <= four.peak <= 4
    assert parallel.records == sequential.records
    assert parallel.states == sequential.states
    assert window_order(parallel) == sorted(window_order(parallel))
    through = [s["bookmarks"]["projects_usage"].get("exported_through") for s in parallel.states]
    assert [d for d in through if d] == DAYS[:6]
    assert "up to 4 exports in flight" in parallel.log
    assert not tap_threads()


def test_fast_api_sees_requests_in_window_order(emulator: Emulator) -> None:
    run = run_tap(tap_config(emulator, start_date=DAYS[0], end_date=DAYS[-1]))
    assert run.error is None
    assert [(r.from_date or "")[:10] for r in emulator.export_requests] == DAYS
    assert all(r.authorized for r in emulator.export_requests)


def test_fatal_error_in_third_window_keeps_the_first_two(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    emulator.settings.export_latency_seconds = 0.1
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    original = ExportApi.post_export

    def failing(self: ExportApi, path: str, body: dict[str, t.Any]) -> t.Any:
        if body["from"]["date"].startswith(DAYS[2]):
            time.sleep(0.05)  # later windows are in flight by now
            msg = "refused for the test"
            raise ExportError(msg)
        return original(self, path, body)

    monkeypatch.setattr(ExportApi, "post_export", failing)
    config = tap_config(emulator, start_date=DAYS[0], end_date=DAYS[-1], max_parallel_exports=4)
    run = run_tap(config)
    assert isinstance(run.error, ExportError)
    assert set(window_order(run)) == set(DAYS[:2])
    assert run.bookmark("projects_usage")["exported_through"] == DAYS[1]
    assert not tap_threads()
    assert list(tmp_path.iterdir()) == []
    assert not [fd for fd in _open_files() if str(tmp_path) in fd]

    # The state it left is valid: the next run continues with the third window.
    monkeypatch.setattr(ExportApi, "post_export", original)
    again = run_tap(config, state=run.state)
    assert again.error is None
    assert set(window_order(again)) == set(DAYS[1:])  # one lookback window, then the rest
    assert again.bookmark("projects_usage")["exported_through"] == DAYS[-1]


def _open_files() -> list[str]:
    fds = pathlib.Path("/proc/self/fd")
    if not fds.exists():
        return []
    found = []
    for fd in fds.iterdir():
        try:
            found.append(os.readlink(fd))
        except OSError:
            continue
    return found


def test_closing_early_drops_prefetched_windows(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    emulator.settings.export_latency_seconds = 0.05
    config = tap_config(emulator, start_date=DAYS[0], end_date=DAYS[-1], max_parallel_exports=4)
    tap = TapLangdock(config=config)
    stream = tap.streams["projects_usage"]
    records = stream.get_records(None)
    assert isinstance(records, t.Generator)
    first = next(records)
    assert first["window_start"] == DAYS[0]
    deadline = time.monotonic() + 5
    while len(emulator.download_requests) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)  # let the workers get ahead
    records.close()  # what the SDK does on --test and max-records aborts
    assert not tap_threads()
    assert list(tmp_path.iterdir()) == []
    assert not [fd for fd in _open_files() if str(tmp_path) in fd or "tap-langdock" in fd]
    assert len(emulator.export_requests) < len(DAYS)


def test_sdk_max_records_abort_with_prefetch(emulator: Emulator) -> None:
    config = tap_config(emulator, start_date=DAYS[0], end_date=DAYS[-1], max_parallel_exports=3)
    tap = TapLangdock(config=config)
    stream = tap.streams["projects_usage"]
    stream.ABORT_AT_RECORD_COUNT = 5
    with pytest.raises((AbortedSyncFailedException, AbortedSyncPausedException)):
        for _ in stream._sync_records(None, write_messages=False):
            pass
    assert not tap_threads()


def test_all_streams_share_one_limiter(emulator: Emulator) -> None:
    tap = TapLangdock(config=tap_config(emulator, max_requests_per_minute=7))
    streams = t.cast("dict[str, LangdockStream]", tap.streams)
    limiters = {id(stream.run.limiter) for stream in streams.values()}
    assert len(limiters) == 1
    assert next(iter(streams.values())).run.limiter.per_minute == 7
    assert shared_limiter(emulator.url, 7) is streams["users_usage"].run.limiter


def test_no_429_when_the_limit_is_the_apis(emulator: Emulator) -> None:
    emulator.settings.rate_limit_per_minute = 12
    config = tap_config(
        emulator,
        start_date=DAYS[0],
        end_date=DAYS[5],
        max_parallel_exports=4,
        max_requests_per_minute=12,
    )
    run = run_tap(config, streams=("projects_usage", "users_usage"))
    assert run.error is None
    assert len(emulator.export_requests) == 12
    assert all(r.status == 200 for r in emulator.export_requests)
