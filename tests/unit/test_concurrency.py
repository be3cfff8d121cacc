"""The adaptive concurrency limit: its rules for any sequence of answers, and its behaviour in
simulated backfills (fake clock, discrete events) against servers that cap, slow down or
jitter; then real threads.
"""

from __future__ import annotations

import math
import random
import threading
import time
import typing as t

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_langdock import concurrency
from tap_langdock.concurrency import (
    BACKOFF,
    AdaptiveLimit,
    Outcome,
    Permit,
    Stopped,
    outcome_for_status,
    shared_limit,
)
from tap_langdock.latency_watch import LatencyWatch
from tests.unit.concurrency_sim import Result, Server, simulate

WINDOWS = 365
SIM = settings(max_examples=60, deadline=None)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


operations = st.lists(
    st.tuples(
        st.booleans(),  # True: try to acquire; False: release one outstanding permit
        st.integers(0, 10_000),
        st.sampled_from(list(Outcome)),
        st.floats(0.0, 30.0),
    ),
    max_size=400,
)


@given(st.integers(1, 64), st.data(), operations)
def test_any_sequence_of_answers_keeps_the_rules(
    ceiling: int, data: st.DataObject, ops: list[tuple[bool, int, Outcome, float]]
) -> None:
    initial = data.draw(st.none() | st.integers(1, ceiling))
    clock = Clock()
    limit = AdaptiveLimit(ceiling, initial=initial, clock=clock)
    out: list[Permit] = []
    for acquire, pick, outcome, seconds in ops:
        before = limit.limit
        assert 1 <= before <= ceiling
        if acquire or not out:
            permit = limit.try_acquire()
            if len(out) < before:
                assert permit is not None
                assert permit.load == len(out) + 1 <= before
                out.append(permit)
            else:
                assert permit is None, "a permit beyond the limit"
            continue
        permit = out.pop(pick % len(out))
        current = permit.epoch == limit.snapshot().cuts
        clock.now += seconds
        if pick % 3:
            limit.sent(permit)  # else latency counts from acquire
        limit.release(permit, outcome)
        after = limit.limit
        assert 1 <= after <= ceiling
        assert after <= before + 1, "grows by one answer at a time"
        assert limit.in_flight == len(out)
        if outcome is Outcome.IGNORE:
            assert after == before
        if outcome in (Outcome.OVERLOAD, Outcome.ERROR):
            assert after <= before, "a failure never raises the limit"
            if current:
                assert after <= max(1, math.floor(BACKOFF * permit.load))
                assert after < before or before == 1, "overload always shrinks"
        with pytest.raises(ValueError, match="twice"):
            limit.release(permit, Outcome.OK)
    if ceiling == 1:
        assert limit.limit == 1


@pytest.mark.parametrize("outcome", [Outcome.OVERLOAD, Outcome.ERROR])
def test_a_burst_of_failures_to_requests_sent_together_cuts_once(outcome: Outcome) -> None:
    limit = AdaptiveLimit(16, initial=16)
    permits = [limit.acquire() for _ in range(16)]
    for permit in reversed(permits):
        limit.release(permit, outcome)
    assert limit.limit == math.floor(BACKOFF * 16)
    assert limit.snapshot().cuts == 1


def test_a_limit_nobody_uses_does_not_grow() -> None:
    """One request at a time against a ceiling of 64: a burst later must not find 64."""
    clock = Clock()
    limit = AdaptiveLimit(64, clock=clock)
    for _ in range(200):
        permit = limit.acquire()
        clock.now += 1.0
        limit.release(permit, Outcome.OK)
    assert limit.limit == 4


def test_slow_start_stops_on_slow_answers_before_the_first_cut() -> None:
    """Latency 1 s + 0.2 s per export in flight: answers slow down long before a batch is
    judged, and growth stops on them (without that, slow start runs to ~37 in flight)."""
    result = simulate(WINDOWS, 48, Server(latency=1.0, per_inflight=0.2))
    assert result.peak_server <= 24


def test_ceiling_one_is_one_at_a_time() -> None:
    result = simulate(40, 1, Server(latency=2.0))
    assert result.peak_server == 1
    assert set(result.grants) == {(1, 1)}
    assert result.seconds == pytest.approx(40 * 2.0)


def rate_floor(result: Result, windows: int, per_minute: int, stagger: float) -> float:
    """What turns and the rate limit allow even with unlimited parallelism."""
    last_latency = result.latencies[-1][1]
    return max((windows - 1) * stagger, (windows - per_minute) * 60 / per_minute) + last_latency


@SIM
@given(st.floats(0.2, 30.0), st.integers(1, 64))
def test_fixed_latency_reaches_the_ceiling_or_what_the_turns_allow(
    latency: float, ceiling: int
) -> None:
    result = simulate(WINDOWS, ceiling, Server(latency=latency))
    state = result.snapshot
    assert state.cuts == 0
    assert result.throttled == 0
    # Grown to the ceiling, or far enough that the limit never held anything back.
    assert state.limit == ceiling or state.limit >= 2 * result.peak_server - 1
    fixed = simulate(WINDOWS, ceiling, Server(latency=latency), initial=ceiling)
    ramp = (math.ceil(math.log2(max(1, ceiling / 4))) + 1) * latency
    assert result.seconds <= fixed.seconds + ramp


def test_rate_limit_not_the_controller_is_the_bottleneck_at_five_seconds() -> None:
    """450 per minute and 5 s per export: ~37 in flight; the rate limiter sets the pace."""
    windows = 2000
    result = simulate(windows, 48, Server(latency=5.0), per_minute=450)
    assert result.snapshot.limit == 48
    assert result.snapshot.cuts == 0
    assert result.seconds <= 1.05 * windows * 60 / 450 + 5.0
    # Little's law over the steady middle of the run: exports in flight at the server.
    start, end = 120.0, result.seconds - 30.0
    busy = sum(
        max(0.0, min(sent + latency, end) - max(sent, start)) for sent, latency in result.latencies
    )
    assert 35 <= busy / (end - start) <= 40


@SIM
@given(st.integers(1, 24), st.floats(0.0, 1.0), st.integers(0, 64), st.integers(1, 64))
def test_hard_concurrency_cap_converges_with_few_429s(
    cap: int, spread: float, extra: int, initial: int
) -> None:
    latency = max(0.5, 0.15 * cap) + spread * 25.0  # slower than turns, so the cap binds
    ceiling = cap + 1 + extra
    initial = min(initial, ceiling)
    result = simulate(WINDOWS, ceiling, Server(latency=latency, cap=cap), initial=initial)
    assert result.peak_server <= cap
    assert result.throttled_share <= 0.05
    assert result.snapshot.limit <= cap + 1
    ramp = (max(0, math.ceil(math.log2(cap / initial))) + 1) * latency
    assert result.seconds <= 1.3 * WINDOWS * latency / cap + ramp


def test_the_issue_s_server_with_429_above_eight() -> None:
    result = simulate(WINDOWS, 48, Server(latency=5.0, cap=8))
    assert result.seconds <= 1.3 * WINDOWS * 5.0 / 8
    assert result.throttled_share <= 0.05
    assert result.limit_at(result.seconds) <= 9


def test_a_cap_that_rises_is_found_again() -> None:
    """Once an answer comes back fine at the load once refused, that load is no limit."""
    server = Server(latency=5.0, cap_of=lambda now: 8 if now < 150 else 24)
    result = simulate(2 * WINDOWS, 48, server)
    assert max(limit for when, limit in result.limits if when > 150) >= 20
    assert result.throttled_share <= 0.05


@SIM
@given(st.floats(0.5, 10.0), st.floats(0.02, 1.0), st.integers(4, 64))
def test_latency_growing_with_load_is_held_near_twice_the_initial_latency(
    base: float, slope: float, ceiling: int
) -> None:
    server = Server(latency=base, per_inflight=slope * base)
    result = simulate(WINDOWS, ceiling, server)
    at_initial_load = base + slope * base * 3
    late = [seconds for sent, seconds in result.latencies if sent > result.seconds / 2]
    assert max(late) <= 3.0 * at_initial_load
    # Throughput still grows with parallelism there: never slower than today's fixed four.
    fixed = simulate(WINDOWS, 4, Server(latency=base, per_inflight=slope * base))
    assert result.seconds <= 1.02 * fixed.seconds


@pytest.mark.parametrize(
    ("name", "latency_of"),
    [
        ("lognormal jitter", lambda rng: lambda i, n: 5.0 * rng.lognormvariate(0, 0.35)),
        ("uniform +-50 %", lambda rng: lambda i, n: 5.0 * rng.uniform(0.5, 1.5)),
        (
            "2 % six times slower",
            lambda rng: lambda i, n: 5.0 * (6 if rng.random() < 0.02 else 1),
        ),
    ],
)
def test_noise_that_does_not_follow_load_cuts_nothing(
    name: str, latency_of: t.Callable[[random.Random], t.Callable[[int, int], float]]
) -> None:
    for seed in range(5):
        rng = random.Random(seed)
        result = simulate(WINDOWS, 48, Server(latency_of=latency_of(rng)))
        assert result.snapshot.cuts == 0, (name, seed)
        assert result.snapshot.limit == 48


def test_latency_that_changes_with_the_data_not_the_load_is_rebaselined() -> None:
    """Later days take twice as long, or four times from day 100: a cut or two, no collapse."""
    trend = simulate(WINDOWS, 48, Server(latency_of=lambda i, n: 2.0 + 4.0 * i / WINDOWS))
    step = simulate(WINDOWS, 48, Server(latency_of=lambda i, n: 2.0 if i < 100 else 8.0))
    for result in (trend, step):
        assert result.snapshot.cuts <= 2
        assert result.snapshot.limit >= 20
    assert step.snapshot.baseline_latency == pytest.approx(8.0)


def test_fast_empty_days_do_not_become_the_yardstick() -> None:
    """The first 60 days predate the workspace: 404 in 50 ms, then exports of 5 s."""
    server = Server(
        latency_of=lambda i, n: 0.05 if i < 60 else 5.0,
        empty=lambda i: i < 60,
    )
    result = simulate(WINDOWS, 48, server)
    assert result.snapshot.cuts == 0
    assert result.snapshot.limit == 48


def test_latency_watch_rebaselines_only_when_less_load_did_not_help() -> None:
    watch = LatencyWatch()
    for _ in range(5):
        assert not watch.observe(1.0, 4, 4)
    assert watch.baseline == 1.0
    assert not any(watch.observe(1.9, 8, 8) for _ in range(10))
    assert [watch.observe(2.5, 10, 10) for _ in range(10)][-1] is True
    watch.restart()
    # Load fell from 10 to 6, latency stayed: the new level is the baseline.
    assert not any(watch.observe(2.5, 6, 7) for _ in range(10))
    assert watch.baseline == 2.5
    # Higher latency at the same load does not move it.
    assert [watch.observe(6.0, 6, 7) for _ in range(10)][-1] is True
    assert watch.baseline == 2.5


def test_outcomes_of_http_statuses() -> None:
    assert outcome_for_status(200) is Outcome.OK
    assert outcome_for_status(404) is Outcome.EMPTY
    assert outcome_for_status(429) is Outcome.OVERLOAD
    assert outcome_for_status(503) is Outcome.OVERLOAD
    assert outcome_for_status(500) is Outcome.ERROR
    assert outcome_for_status(502) is Outcome.ERROR
    assert outcome_for_status(None) is Outcome.ERROR
    assert outcome_for_status(400) is Outcome.IGNORE
    assert outcome_for_status(401) is Outcome.IGNORE


@pytest.mark.parametrize(("ceiling", "initial"), [(0, None), (4, 0), (4, 5)])
def test_bad_arguments_are_refused(ceiling: int, initial: int | None) -> None:
    with pytest.raises(ValueError, match="must be"):
        AdaptiveLimit(ceiling, initial=initial)


def test_many_threads_never_exceed_the_limit_and_never_deadlock() -> None:
    limit = AdaptiveLimit(12, initial=3)
    holders: list[int] = [0]
    guard = threading.Lock()
    violations: list[str] = []
    outcomes = [Outcome.OK] * 12 + [Outcome.OVERLOAD, Outcome.ERROR, Outcome.IGNORE]

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(150):
            permit = limit.acquire()
            with guard:
                holders[0] += 1
                if permit.load > permit.limit or holders[0] > limit.ceiling:
                    violations.append(f"{holders[0]} out, load {permit.load}, {permit.limit}")
            limit.sent(permit)
            time.sleep(rng.random() * 0.001)
            with guard:
                holders[0] -= 1
            limit.release(permit, rng.choice(outcomes))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "deadlock"
    assert not violations, violations[:3]
    state = limit.snapshot()
    assert state.in_flight == 0
    assert state.answers == 16 * 150
    assert 1 <= state.limit <= 12
    assert state.peak_in_flight <= 12


@pytest.mark.parametrize("wake", [True, False])
def test_stop_ends_every_wait(wake: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # No timing thresholds: with wake() the waiters' poll is an hour, so only wake() can end
    # them within the join below; without it the poll is short and must notice the stop.
    monkeypatch.setattr(concurrency, "POLL_SECONDS", 3600.0 if wake else 0.01)
    limit = AdaptiveLimit(1)
    held = limit.acquire()
    stop = threading.Event()
    ended: list[bool] = []

    def wait() -> None:
        with pytest.raises(Stopped):
            limit.acquire(stop)
        ended.append(True)

    threads = [threading.Thread(target=wait) for _ in range(4)]
    for thread in threads:
        thread.start()
    while limit._waiting < 4:  # all four are inside acquire, waiting
        time.sleep(0.001)
    stop.set()
    if wake:
        limit.wake()
    for thread in threads:
        thread.join(timeout=30)
    assert len(ended) == 4
    limit.release(held, Outcome.OK)
    assert limit.in_flight == 0
    with pytest.raises(Stopped):
        limit.acquire(stop)  # already stopped: no permit even though one is free


def test_permit_latency_counts_from_sent_not_from_acquire() -> None:
    """Waits for a rate-limit slot between acquire and sent are not latency."""
    clock = Clock()
    limit = AdaptiveLimit(8, initial=8, clock=clock)
    for _ in range(5):  # baseline: 1 s answers
        permit = limit.acquire()
        clock.now += 30.0  # a long rate-limit wait
        limit.sent(permit)
        clock.now += 1.0
        limit.release(permit, Outcome.OK)
    assert limit.snapshot().baseline_latency == pytest.approx(1.0)


def test_one_shared_limit_per_api_and_ceiling() -> None:
    first = shared_limit("http://127.0.0.1:1", 48)
    assert shared_limit("http://127.0.0.1:1", 48) is first
    assert shared_limit("http://127.0.0.1:2", 48) is not first
    assert shared_limit("http://127.0.0.1:1", 8).ceiling == 8
