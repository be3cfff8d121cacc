"""The ordered prefetch on its own: results in item order, at most ``parallel`` ahead, turns."""

from __future__ import annotations

import threading
import time

import pytest

from tap_langdock.prefetch import Cancelled, Prefetch, Turn


def test_prefetch_yields_in_order_and_raises_failures_in_turn() -> None:
    discarded: list[int] = []

    def fetch(item: int, turn: Turn, stop: threading.Event) -> int:
        turn.wait(stop)
        turn.sent()
        time.sleep(0.01 * (5 - item % 5))  # later items finish first
        if item == 6:
            msg = "bad item"
            raise RuntimeError(msg)
        return item

    pipeline = Prefetch(list(range(10)), fetch, parallel=4, discard=discarded.append)
    got: list[int] = []

    def consume() -> None:
        got.extend(pipeline)

    with pytest.raises(RuntimeError, match="bad item"):
        consume()
    pipeline.close()
    assert got == [0, 1, 2, 3, 4, 5]
    assert all(value > 6 for value in discarded)


def test_prefetch_keeps_at_most_parallel_items_ahead() -> None:
    running = 0
    most = 0
    lock = threading.Lock()
    # The first three meet before any finishes: three at once is reached however slowly the
    # threads start (a fourth at once would show in `most`, and two only would break it).
    first_three = threading.Barrier(3, timeout=30)

    def fetch(item: int, turn: Turn, stop: threading.Event) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        if item < 3:
            first_three.wait()
        else:
            time.sleep(0.005)
        with lock:
            running -= 1
        return item

    pipeline = Prefetch(list(range(12)), fetch, parallel=3, discard=lambda _: None)
    assert list(pipeline) == list(range(12))
    pipeline.close()
    assert most == 3


def test_turns_keep_sends_in_order() -> None:
    first = Turn(None, stagger=5.0)
    second = Turn(first, stagger=5.0)
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        second.wait(stop)  # the first window has not sent yet and the run is stopping
    third = Turn(None, stagger=5.0)
    fourth = Turn(third, stagger=5.0)
    third.answered()
    started = time.perf_counter()
    fourth.wait()
    # Its turn came at once, not after the 5 s stagger (bounded well below it: a busy
    # machine may take a moment).
    assert time.perf_counter() - started < 2.5
