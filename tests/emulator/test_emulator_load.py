"""Exports in flight: concurrent service, the concurrency cap answered 429, load-driven latency."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
import requests

from langdock_emulator import Emulator

Export = Callable[..., requests.Response]


def wait_in_flight(emu: Emulator, count: int) -> None:
    deadline = time.monotonic() + 5
    while emu.load.counts()["exports_in_flight"] != count:
        assert time.monotonic() < deadline, emu.load.counts()
        time.sleep(0.005)


def timed(export: Export, export_type: str = "users") -> tuple[float, requests.Response]:
    started = time.monotonic()
    response = export(export_type, timeout=10)
    return time.monotonic() - started, response


def test_concurrent_exports_are_created_concurrently(emu: Emulator, export: Export) -> None:
    emu.settings.export_latency_seconds = 0.4
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: export("users", timeout=10), range(8)))
    elapsed = time.monotonic() - started
    assert [a.status_code for a in answers] == [200] * 8
    assert elapsed < 1.2, f"8 exports of 0.4 s took {elapsed:.2f} s: served one after another"
    counts = emu.load.counts()
    assert counts["peak_exports_in_flight"] == 8
    assert counts["exports_admitted"] == 8
    assert counts["exports_in_flight"] == 0


def test_more_exports_than_the_cap_are_answered_429(emu: Emulator, export: Export) -> None:
    emu.settings.export_latency_seconds = 0.5
    emu.settings.max_concurrent_exports = 3
    with ThreadPoolExecutor(3) as pool:
        held: list[Future[requests.Response]] = [
            pool.submit(export, "users", timeout=10) for _ in range(3)
        ]
        wait_in_flight(emu, 3)
        refused = [export("projects", timeout=10) for _ in range(2)]
        admitted = [future.result() for future in held]
    assert [r.status_code for r in admitted] == [200] * 3
    for response in refused:
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "1"
        assert response.json()["error"] == "Too Many Requests"
        assert "exports in progress" in response.json()["message"]
    assert emu.load.counts() == {
        "exports_in_flight": 0,
        "peak_exports_in_flight": 3,
        "exports_admitted": 3,
        "exports_turned_away": 2,
    }
    assert [r.status for r in emu.export_requests].count(429) == 2
    # Room again once they are done.
    assert export("users", timeout=10).status_code == 200


def test_a_cap_of_zero_turns_every_export_away(emu: Emulator, export: Export) -> None:
    emu.settings.max_concurrent_exports = 0
    assert export("users", timeout=10).status_code == 429
    assert emu.load.counts()["exports_turned_away"] == 1


def test_latency_grows_with_the_exports_already_in_flight(emu: Emulator, export: Export) -> None:
    emu.settings.export_latency_seconds = 0.3
    emu.settings.latency_per_inflight_seconds = 0.25
    alone, response = timed(export)
    assert response.status_code == 200
    assert 0.3 <= alone < 0.5
    with ThreadPoolExecutor(2) as pool:
        first = [pool.submit(export, "users", timeout=10) for _ in range(2)]
        wait_in_flight(emu, 2)
        third, response = timed(export)  # two others in flight: 0.3 + 2 x 0.25
        assert all(future.result().status_code == 200 for future in first)
    assert response.status_code == 200
    assert 0.8 <= third < 1.1


def test_load_settings_through_the_admin_route(emu: Emulator) -> None:
    url = f"{emu.url}/_emulator/settings"
    patch = {"max_concurrent_exports": 8, "latency_per_inflight_seconds": 0.1}
    answer = requests.post(url, json=patch, timeout=10)
    assert answer.status_code == 200
    assert emu.settings.max_concurrent_exports == 8
    assert emu.settings.latency_per_inflight_seconds == 0.1
    for bad in (
        {"max_concurrent_exports": -1},
        {"max_concurrent_exports": "8"},
        {"max_concurrent_exports": True},
        {"latency_per_inflight_seconds": -0.5},
    ):
        refused = requests.post(url, json=bad, timeout=10)
        assert refused.status_code == 400, bad
        assert next(iter(bad)) in refused.json()["message"]
    assert emu.settings.max_concurrent_exports == 8
    assert requests.post(url, json={"max_concurrent_exports": None}, timeout=10).ok
    assert emu.settings.max_concurrent_exports is None


def test_state_shows_the_load_and_reset_zeroes_it(emu: Emulator, export: Export) -> None:
    emu.settings.max_concurrent_exports = 0
    export("users", timeout=10)
    state = requests.get(f"{emu.url}/_emulator/state", timeout=10).json()
    assert state["load"]["exports_turned_away"] == 1
    assert state["settings"]["max_concurrent_exports"] == 0
    emu.reset()
    assert emu.load.counts() == {
        "exports_in_flight": 0,
        "peak_exports_in_flight": 0,
        "exports_admitted": 0,
        "exports_turned_away": 0,
    }
    assert emu.settings.max_concurrent_exports is None


def test_cli_options_for_load() -> None:
    command = [sys.executable, "-m", "langdock_emulator", "--port", "0", "--latency", "0.2"]
    command += ["--latency-per-inflight", "0.05", "--max-concurrent-exports", "6"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert process.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline())
        assert match
        settings = requests.get(f"{match.group(0)}/_emulator/state", timeout=10).json()["settings"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    assert settings["export_latency_seconds"] == 0.2
    assert settings["latency_per_inflight_seconds"] == 0.05
    assert settings["max_concurrent_exports"] == 6
    assert process.returncode == 0


@pytest.mark.parametrize("cap", [None, 4])
def test_many_clients_at_once_all_get_an_answer(emu: Emulator, cap: int | None) -> None:
    """Forty connections opened together (the tap's ceiling): none is dropped by the backlog."""
    emu.settings.export_latency_seconds = 0.2
    emu.settings.max_concurrent_exports = cap
    barrier = threading.Barrier(40)
    headers = {"Authorization": f"Bearer {emu.api_key}"}
    body = {
        "from": {"date": "2024-01-01T00:00:00.000Z", "timezone": "UTC"},
        "to": {"date": "2024-01-01T23:59:59.999Z", "timezone": "UTC"},
    }

    def one(_: int) -> int:
        barrier.wait()
        with requests.Session() as session:
            return session.post(
                f"{emu.url}/export/users", json=body, headers=headers, timeout=10
            ).status_code

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(one, range(40)))
    if cap is None:
        assert statuses == [200] * 40
    else:
        assert statuses.count(200) >= cap
        assert set(statuses) == {200, 429}
        assert emu.load.counts()["peak_exports_in_flight"] == cap
