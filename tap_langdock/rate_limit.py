"""One client-side request budget per API, shared by every stream and thread of the process.

Langdock counts requests per key in a sliding minute and answers 429 beyond its limit. With
several exports in flight the tap would find that limit by hitting it, again and again; so
every export request first takes a slot here: at most ``per_minute`` requests start in any
60 seconds. Slots are handed out first come, first served, by reserving a start time, so
waiting threads never need to hold the lock.
"""

from __future__ import annotations

import collections
import threading
import time
import typing as t

PERIOD_SECONDS = 60.0


class Stopped(Exception):
    """The wait for a slot was given up because the run is stopping."""


class RateLimiter:
    """At most ``per_minute`` acquisitions in any ``PERIOD_SECONDS`` window."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute < 1:
            msg = "per_minute must be at least 1"
            raise ValueError(msg)
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._starts: collections.deque[float] = collections.deque()
        self.waited = 0.0
        """Total seconds callers were held back (for the log and the benchmarks)."""

    def reserve(self) -> float:
        """Reserve the next free start time; returns how many seconds to wait for it."""
        with self._lock:
            now = self._clock()
            starts = self._starts
            while starts and starts[0] <= now - PERIOD_SECONDS:
                starts.popleft()
            start = now
            if len(starts) >= self.per_minute:
                # The slot frees when the request per_minute places back leaves the window.
                start = max(now, starts[-self.per_minute] + PERIOD_SECONDS)
            starts.append(start)
            delay = start - now
            self.waited += delay
            return delay

    def acquire(self, stop: threading.Event | None = None) -> float:
        """Wait for a slot; raise `Stopped` if ``stop`` is set meanwhile."""
        delay = self.reserve()
        if delay > 0:
            if stop is None:
                self._sleep(delay)
            elif stop.wait(delay):
                raise Stopped
        return delay


_LIMITERS: dict[tuple[str, int], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def shared_limiter(api_url: str, per_minute: int) -> RateLimiter:
    """The process's limiter for one API at one rate: all streams and threads share it."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get((api_url, per_minute))
        if limiter is None:
            limiter = _LIMITERS[(api_url, per_minute)] = RateLimiter(per_minute)
        return limiter
