"""How many export requests may be in flight: a limit that adapts to what Langdock sustains.

An export takes Langdock seconds to create, so a backfill is bound by how many run at once:
too few and a year takes most of an hour, too many and Langdock answers 429 or slows down.
``AdaptiveLimit`` finds the number itself, in the spirit of TCP congestion control and
Netflix's concurrency-limits (AIMD with slow start, a Vegas-like latency check). Rules:

- **Grow** on an answer that came back fine (`Outcome.OK`, `Outcome.EMPTY`) and not slow,
  while the limit is in use (at least half of it in flight, or someone waiting): by one per
  answer, i.e. doubling per round trip ("slow start"), until the first lasting cut; then by
  one per round trip (one per ``limit`` answers); and only every ``hold`` round trips where
  one more would reach the load last answered 429. ``hold`` doubles each time that probe
  fails again (at most ``MAX_HOLD_ROUND_TRIPS``), so against a hard concurrency cap the 429s
  thin out instead of recurring every few round trips. An answer that came back fine at that
  load forgets it.
- **Cut** at once to ``BACKOFF`` x the load the failing request was sent into (the permits
  out when it was let out, itself included) on `Outcome.OVERLOAD` (429, 503; that load is
  remembered), on `Outcome.ERROR` (other 5xx, timeouts, dropped connections: regrown by slow
  start, as an error says less about load than a 429) and when latency rose with load (see
  `tap_langdock.latency_watch`). At most one cut per round trip, as in TCP: only requests let
  out since the last cut can cut again, so a burst of 429s to requests sent together cuts
  once, not once per answer.
- `Outcome.IGNORE` (400, 401, ...) says nothing about load; `Outcome.EMPTY` (404 "no data")
  counts as a success but not as a latency sample: a day without data may be answered much
  faster than an export, and must not become the yardstick for the days with data.

The limit stays within [1, ceiling]; ``ceiling == 1`` is one request at a time. Nothing here
does I/O or sleeps except ``acquire`` waiting for a permit, and the clock is injected, so
every rule is tested with a fake clock and a simulated server (tests/unit/concurrency_sim.py).

Use, per export request (the order matters)::

    turn.wait(stop)                      # the window's turn first: a permit held while an
    permit = limit.acquire(stop)         # earlier window waits for one deadlocks at limit 1
    rate_limiter.acquire(stop)           # the permit is held through the rate-limit wait...
    limit.sent(permit)                   # ...but latency counts from here
    ... send, read the answer ...
    limit.release(permit, outcome_for_status(status))   # status None: no answer

A request answered 429 releases its permit before sleeping ``Retry-After`` and takes a new one
for the retry. ``acquire`` raises `Stopped` once ``stop`` is set (checked every
``POLL_SECONDS``; ``wake()`` makes every waiter check at once).
"""

from __future__ import annotations

import enum
import math
import threading
import time
import typing as t
from dataclasses import dataclass

from tap_langdock.latency_watch import LatencyWatch
from tap_langdock.rate_limit import Stopped

__all__ = [
    "AdaptiveLimit",
    "Outcome",
    "Permit",
    "Snapshot",
    "Stopped",
    "outcome_for_status",
    "shared_limit",
]

DEFAULT_INITIAL = 4
"""Where the limit starts: the fixed number of exports in flight before it adapted."""
BACKOFF = 0.7
"""Cut factor. CUBIC's 0.7 rather than Reno's 0.5: the load that failed is remembered and
probed carefully, so a deeper cut would only cost throughput."""
FIRST_HOLD_ROUND_TRIPS = 2
MAX_HOLD_ROUND_TRIPS = 32
POLL_SECONDS = 0.1


class Outcome(enum.Enum):
    """What one answer says about load."""

    OK = "ok"
    EMPTY = "empty"
    OVERLOAD = "overload"
    ERROR = "error"
    IGNORE = "ignore"


def outcome_for_status(status: int | None) -> Outcome:
    """The outcome of an export request's HTTP status; ``None`` when no answer came."""
    if status is None:
        return Outcome.ERROR
    if status == 200:
        return Outcome.OK
    if status == 404:
        return Outcome.EMPTY
    if status in (429, 503):
        return Outcome.OVERLOAD
    if status >= 500:
        return Outcome.ERROR
    return Outcome.IGNORE


@dataclass
class Permit:
    """Leave to send one request; give it back with `AdaptiveLimit.release`."""

    acquired_at: float
    load: int
    """Permits out when this one was granted, itself included: the load it was sent into."""
    limit: int
    epoch: int
    """Cuts made before it was granted; only permits granted since the last cut can cut."""
    sent_at: float | None = None
    released: bool = False


@dataclass(frozen=True)
class Snapshot:
    """The controller at one moment, for progress lines and benchmarks."""

    limit: int
    in_flight: int
    peak_in_flight: int
    answers: int
    overloads: int
    errors: int
    cuts: int
    overload_level: int | None
    baseline_latency: float | None


class AdaptiveLimit:
    """A thread-safe concurrency limit in [1, ceiling] that follows what the server sustains."""

    def __init__(
        self,
        ceiling: int,
        *,
        initial: int | None = None,
        clock: t.Callable[[], float] = time.monotonic,
    ) -> None:
        if ceiling < 1:
            msg = f"ceiling must be at least 1, not {ceiling}"
            raise ValueError(msg)
        start = min(ceiling, DEFAULT_INITIAL) if initial is None else initial
        if not 1 <= start <= ceiling:
            msg = f"initial must be within [1, {ceiling}], not {start}"
            raise ValueError(msg)
        self.ceiling = ceiling
        self._clock = clock
        self._cond = threading.Condition(threading.Lock())
        self._limit = start
        self._in_flight = self._waiting = self._epoch = 0
        self._credit = 0.0
        self._ssthresh: int | None = None
        self._level: int | None = None
        self._hold = FIRST_HOLD_ROUND_TRIPS
        self._latency = LatencyWatch()
        self._peak = self._answers = self._overloads = self._errors = 0

    @property
    def limit(self) -> int:
        """How many requests may be in flight now."""
        return self._limit

    @property
    def in_flight(self) -> int:
        """Permits granted and not yet released."""
        return self._in_flight

    def snapshot(self) -> Snapshot:
        with self._cond:
            return Snapshot(
                limit=self._limit,
                in_flight=self._in_flight,
                peak_in_flight=self._peak,
                answers=self._answers,
                overloads=self._overloads,
                errors=self._errors,
                cuts=self._epoch,
                overload_level=self._level,
                baseline_latency=self._latency.baseline,
            )

    # Permits

    def try_acquire(self) -> Permit | None:
        """A permit if fewer than ``limit`` are out, else None; never waits."""
        with self._cond:
            return self._grant() if self._in_flight < self._limit else None

    def acquire(self, stop: threading.Event | None = None) -> Permit:
        """Wait until fewer than ``limit`` permits are out; raise `Stopped` once ``stop`` is set."""
        with self._cond:
            self._waiting += 1
            try:
                while True:
                    if stop is not None and stop.is_set():
                        raise Stopped
                    if self._in_flight < self._limit:
                        return self._grant()
                    self._cond.wait(POLL_SECONDS if stop is not None else None)
            finally:
                self._waiting -= 1

    def wake(self) -> None:
        """Make every waiting ``acquire`` check its ``stop`` event now."""
        with self._cond:
            self._cond.notify_all()

    def sent(self, permit: Permit) -> None:
        """The request goes out now: its latency counts from here."""
        permit.sent_at = self._clock()

    def release(self, permit: Permit, outcome: Outcome) -> None:
        """Give the permit back with what its answer said about load."""
        with self._cond:
            if permit.released:
                msg = "permit released twice"
                raise ValueError(msg)
            permit.released = True
            busy = self._in_flight * 2 >= self._limit or self._waiting > 0
            self._in_flight -= 1
            self._answers += 1
            if outcome is Outcome.OK or outcome is Outcome.EMPTY:
                start = permit.acquired_at if permit.sent_at is None else permit.sent_at
                latency = self._clock() - start if outcome is Outcome.OK else None
                self._on_success(permit, latency, busy=busy)
            elif outcome is Outcome.OVERLOAD:
                self._overloads += 1
                self._on_overload(permit)
            elif outcome is Outcome.ERROR:
                self._errors += 1
                if self._cut(permit, lasting=False):
                    self._latency.forget_cut()
            free = self._limit - self._in_flight
            if free > 0:
                self._cond.notify(free)

    # The rules (called with the lock held)

    def _grant(self) -> Permit:
        self._in_flight += 1
        self._peak = max(self._peak, self._in_flight)
        return Permit(self._clock(), self._in_flight, self._limit, self._epoch)

    def _on_success(self, permit: Permit, latency: float | None, *, busy: bool) -> None:
        if permit.epoch != self._epoch:
            return  # sent before the last cut: says nothing about the limit as it is now
        if latency is not None:
            if self._latency.observe(latency, permit.load, self._limit):
                self._cut(permit)
                return
            if self._latency.slow(latency):
                return  # a slow answer is no reason to send more
        if self._level is not None and permit.load >= self._level:
            # The server just sustained the load it once refused: that is history now.
            self._level, self._hold = None, FIRST_HOLD_ROUND_TRIPS
        if busy:
            self._grow()

    def _grow(self) -> None:
        limit, level = self._limit, self._level
        if limit >= self.ceiling:
            return
        if self._ssthresh is None or limit < self._ssthresh:
            self._limit = limit + 1
            return
        round_trips = self._hold if level is not None and limit + 1 >= level else 1
        self._credit += 1.0 / (limit * round_trips)
        if self._credit >= 1.0:
            self._credit = 0.0
            self._limit = limit + 1

    def _on_overload(self, permit: Permit) -> None:
        if permit.epoch != self._epoch:
            return  # one cut per round trip
        if self._level is not None and permit.load >= self._level:
            # A probe at the known level failed again: wait longer before the next one.
            self._hold = min(MAX_HOLD_ROUND_TRIPS, self._hold * 2)
        else:
            self._hold = FIRST_HOLD_ROUND_TRIPS
        self._level = permit.load
        self._cut(permit)
        self._latency.forget_cut()

    def _cut(self, permit: Permit, *, lasting: bool = True) -> bool:
        """Cut to BACKOFF x the permit's load; ``lasting``: grow by round trips afterwards."""
        if permit.epoch != self._epoch:
            return False  # one cut per round trip
        self._limit = min(self._limit, max(1, math.floor(BACKOFF * permit.load)))
        if lasting:
            self._ssthresh = self._limit
        self._epoch += 1
        self._credit = 0.0
        self._latency.restart()
        return True


_LIMITS: dict[tuple[str, int], AdaptiveLimit] = {}
_LIMITS_LOCK = threading.Lock()


def shared_limit(api_url: str, ceiling: int) -> AdaptiveLimit:
    """The process's limit for one API: streams run one after another, and each starts from
    what the streams before it learned about Langdock instead of from scratch."""
    with _LIMITS_LOCK:
        limit = _LIMITS.get((api_url, ceiling))
        if limit is None:
            limit = _LIMITS[(api_url, ceiling)] = AdaptiveLimit(ceiling)
        return limit
