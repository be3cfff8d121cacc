"""The rate limiter on its own: at most N export requests in any minute, in reserved order.

Its clock is the suite's fake one, passed in as RateLimiter's clock and sleep.
"""

from __future__ import annotations

import threading

import pytest

from tap_langdock.rate_limit import RateLimiter, Stopped
from tests.support.clock import FakeClock


def test_limiter_spreads_requests_over_the_minute() -> None:
    clock = FakeClock(start=100.0)
    limiter = RateLimiter(3, clock=clock.monotonic, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(7)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3] == pytest.approx(60)
    assert clock.now == pytest.approx(100 + 120)
    assert limiter.waited == pytest.approx(120)


def test_limiter_never_lets_more_than_the_limit_into_any_minute() -> None:
    clock = FakeClock(start=100.0)
    limiter = RateLimiter(5, clock=clock.monotonic, sleep=clock.sleep)
    starts = []
    for i in range(40):
        clock.now += (i % 7) * 1.7
        limiter.acquire()
        starts.append(clock.now)
    for first in starts:
        assert sum(first <= s < first + 60 for s in starts) <= 5


def test_limiter_reservations_for_waiting_threads_are_in_order() -> None:
    clock = FakeClock(start=100.0)
    limiter = RateLimiter(2, clock=clock.monotonic, sleep=clock.sleep)
    delays = [limiter.reserve() for _ in range(6)]
    assert delays == [0, 0, 60, 60, 120, 120]


def test_limiter_wait_gives_up_when_stopping() -> None:
    limiter = RateLimiter(1)
    limiter.acquire()
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped):
        limiter.acquire(stop)


def test_limiter_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RateLimiter(0)
