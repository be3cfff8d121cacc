"""The suite's fake clock keeps the contract production code waits through.

`tap_langdock.retries` exposes ``sleep``, ``monotonic`` and ``pause(seconds, stop) -> bool``;
`fake_clock()` must replace all three and put back exactly what was there (also when
``pause`` did not exist), and time must be per thread so parallel windows keep own budgets.
"""

from __future__ import annotations

import threading

from tap_langdock import retries
from tests.support.clock import FakeClock, fake_clock


def test_installs_all_three_waits_and_restores_them() -> None:
    before = {name: getattr(retries, name, None) for name in ("sleep", "monotonic", "pause")}
    with fake_clock(start=50.0) as clock:
        retries.sleep(3.0)
        assert retries.monotonic() == 53.0
        # Looked up by name: older taps have no `retries.pause`, and mypy must pass on both.
        assert vars(retries)["pause"](2.0, None) is False
        assert clock.slept == [3.0, 2.0]
    after = {name: getattr(retries, name, None) for name in ("sleep", "monotonic", "pause")}
    assert after == before


def test_pause_reports_a_stop_and_still_counts_the_wait() -> None:
    clock = FakeClock(start=0.0)
    stop = threading.Event()
    assert clock.pause(5.0, stop) is False
    stop.set()
    assert clock.pause(7.0, stop) is True
    assert clock.now == 12.0
    assert clock.slept == [5.0, 7.0]


def test_time_is_per_thread() -> None:
    clock = FakeClock(start=100.0)
    seen: list[float] = []

    def worker() -> None:
        clock.sleep(40.0)
        seen.append(clock.monotonic())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen == [140.0]
    assert clock.monotonic() == 100.0  # this thread did not wait
    clock.now += 1.5
    assert clock.monotonic() == 101.5
    assert clock.slept == [40.0]
