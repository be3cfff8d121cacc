"""A discrete-event simulation of a backfill through `AdaptiveLimit`, on a fake clock.

It models what the tap does around each export request, as far as load is concerned:

- ``ceiling`` worker threads take windows in order (`Prefetch`); a worker is free again once
  the consumer took its window, and the consumer takes windows in window order;
- window k's first request waits its turn: window k-1's was sent and answered, or has been
  outstanding ``stagger`` seconds (`Turn`); retries do not wait;
- then a permit (`AdaptiveLimit.try_acquire`, FIFO among waiters), then a slot of the real
  `RateLimiter` (the permit is held while waiting for it), then ``sent``;
- the server answers 429 at once while ``cap`` requests are in flight, else after
  ``latency + per_inflight * (in flight - 1)`` seconds (or ``latency_of``'s); a 429 is retried after
  ``retry_after`` seconds with a new permit.

Pure and deterministic: a run of 365 windows takes milliseconds, so property tests can
afford hundreds.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import typing as t
from collections import deque
from dataclasses import dataclass, field

from tap_langdock.concurrency import AdaptiveLimit, Outcome, Permit
from tap_langdock.rate_limit import RateLimiter


@dataclass
class Server:
    cap: int | None = None
    latency: float = 5.0
    per_inflight: float = 0.0
    overload_seconds: float = 0.005
    retry_after: float = 1.0
    latency_of: t.Callable[[int, int], float] | None = None
    """Replaces the latency rule: (window index, in flight) -> seconds."""
    cap_of: t.Callable[[float], int | None] | None = None
    """Replaces ``cap``: time -> cap."""
    empty: t.Callable[[int], bool] | None = None
    """Windows answered 404 "no data" (after their latency, like the emulator)."""
    in_flight: int = 0
    peak: int = 0


@dataclass
class Result:
    seconds: float
    requests: int
    throttled: int
    peak_server: int
    limits: list[tuple[float, int]]
    grants: list[tuple[int, int]]
    """(in flight, limit) at each grant."""
    latencies: list[tuple[float, float]]
    """(sent at, seconds) of each answer that was not a 429."""
    snapshot: t.Any = None

    @property
    def throttled_share(self) -> float:
        return self.throttled / self.requests

    def limit_at(self, when: float) -> int:
        last = self.limits[0][1]
        for moment, limit in self.limits:
            if moment > when:
                break
            last = limit
        return last


@dataclass
class _Window:
    index: int
    first_sent: float | None = None
    answered: bool = False
    done: bool = False


@dataclass
class Backfill:
    """One simulated backfill; `run` returns its figures."""

    windows: int
    ceiling: int
    server: Server
    per_minute: int = 450
    stagger: float = 0.1
    initial: int | None = None
    now: float = 0.0
    _events: list[tuple[float, int, t.Callable[[], None]]] = field(default_factory=list)
    _seq: t.Iterator[int] = field(default_factory=itertools.count)
    _ready: deque[_Window] = field(default_factory=deque)
    _state: list[_Window] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.limit = AdaptiveLimit(self.ceiling, initial=self.initial, clock=lambda: self.now)
        self.rate = RateLimiter(self.per_minute, clock=lambda: self.now)
        self._state = [_Window(i) for i in range(self.windows)]
        self._next = 0  # next window a worker takes
        self._taken = 0  # windows the consumer took
        self.result = Result(0.0, 0, 0, 0, [(0.0, self.limit.limit)], [], [])

    def run(self) -> Result:
        self._pump()
        while self._events:
            when, _, action = heapq.heappop(self._events)
            self.now = when
            action()
            self._pump()
        assert self._taken == self.windows, "simulation stalled"
        self.result.seconds = self.now
        self.result.peak_server = self.server.peak
        self.result.snapshot = self.limit.snapshot()
        return self.result

    def _at(self, when: float, action: t.Callable[[], None]) -> None:
        heapq.heappush(self._events, (when, next(self._seq), action))

    def _pump(self) -> None:
        self._start_windows()
        while self._ready:
            permit = self.limit.try_acquire()
            if permit is None:
                return
            self.result.grants.append((permit.load, permit.limit))
            window = self._ready.popleft()
            delay = self.rate.reserve()
            self._at(self.now + delay, functools.partial(self._send, window, permit))

    def _start_windows(self) -> None:
        """Windows whose worker is free and whose turn has come join the permit queue."""
        while self._next < self.windows and self._next - self._taken < self.ceiling:
            if self._next > 0:
                previous = self._state[self._next - 1]
                if previous.first_sent is None:
                    return
                if not previous.answered and self.now < previous.first_sent + self.stagger:
                    return
            self._ready.append(self._state[self._next])
            self._next += 1

    def _send(self, window: _Window, permit: Permit) -> None:
        self.limit.sent(permit)
        self.result.requests += 1
        first = window.first_sent is None
        if first:
            window.first_sent = self.now
            self._at(self.now + self.stagger, lambda: None)  # the next window's turn
        server = self.server
        cap = server.cap if server.cap_of is None else server.cap_of(self.now)
        if cap is not None and server.in_flight >= cap:
            self.result.throttled += 1
            self._at(self.now + server.overload_seconds, lambda: self._throttled(window, permit))
            return
        server.in_flight += 1
        server.peak = max(server.peak, server.in_flight)
        if server.latency_of is not None:
            latency = server.latency_of(window.index, server.in_flight)
        else:
            latency = server.latency + server.per_inflight * (server.in_flight - 1)
        self.result.latencies.append((self.now, latency))
        self._at(self.now + latency, lambda: self._answered(window, permit))

    def _throttled(self, window: _Window, permit: Permit) -> None:
        self._release(permit, Outcome.OVERLOAD)
        window.answered = True
        self._at(self.now + self.server.retry_after, lambda: self._ready.append(window))

    def _answered(self, window: _Window, permit: Permit) -> None:
        self.server.in_flight -= 1
        empty = self.server.empty is not None and self.server.empty(window.index)
        self._release(permit, Outcome.EMPTY if empty else Outcome.OK)
        window.answered = window.done = True
        while self._taken < self.windows and self._state[self._taken].done:
            self._taken += 1

    def _release(self, permit: Permit, outcome: Outcome) -> None:
        self.limit.release(permit, outcome)
        if self.limit.limit != self.result.limits[-1][1]:
            self.result.limits.append((self.now, self.limit.limit))


def simulate(windows: int, ceiling: int, server: Server, **options: t.Any) -> Result:
    return Backfill(windows, ceiling, server, **options).run()
