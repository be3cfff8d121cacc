"""The one fake clock of the suite: retry waits end at once but still use up the budget.

Production code waits only through three attributes of `tap_langdock.retries`: ``sleep``,
``monotonic`` and ``pause(seconds, stop) -> bool`` (the interruptible wait: True when ``stop``
was set). `fake_clock()` swaps all three for a `FakeClock` while it is active. ``pause`` may
not exist yet in the installed tap; it is then set for the block and removed afterwards.
"""

from __future__ import annotations

import contextlib
import threading
import typing as t

from tap_langdock import retries

_ABSENT = object()


class FakeClock:
    """Time that moves only when someone waits, separately for every thread.

    The tap exports several windows at once on worker threads: a wait in one window must not
    eat into another window's budget (with a real clock the waits overlap). ``slept`` lists
    every wait of every thread, in the order they happened.
    """

    def __init__(self, start: float = 10_000.0) -> None:
        self.start = start
        self.slept: list[float] = []
        self._local = threading.local()
        self._lock = threading.Lock()

    @property
    def now(self) -> float:
        """This thread's time."""
        return self.monotonic()

    @now.setter
    def now(self, value: float) -> None:
        # Lets a single-threaded test step time forward without waiting.
        self._local.waited = value - self.start

    def monotonic(self) -> float:
        return self.start + getattr(self._local, "waited", 0.0)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
        self._local.waited = getattr(self._local, "waited", 0.0) + seconds

    def pause(self, seconds: float, stop: threading.Event | None = None) -> bool:
        """`retries.pause`: wait ``seconds`` of this thread's time; True when ``stop`` is set."""
        self.sleep(seconds)
        return stop is not None and stop.is_set()


@contextlib.contextmanager
def fake_clock(start: float = 10_000.0) -> t.Iterator[FakeClock]:
    """Install a `FakeClock` in `tap_langdock.retries` for the duration of the block."""
    clock = FakeClock(start)
    fakes: dict[str, t.Callable[..., t.Any]] = {
        "sleep": clock.sleep,
        "monotonic": clock.monotonic,
        "pause": clock.pause,
    }
    saved = {name: getattr(retries, name, _ABSENT) for name in fakes}
    for name, fake in fakes.items():
        setattr(retries, name, fake)
    try:
        yield clock
    finally:
        for name, value in saved.items():
            if value is _ABSENT:
                delattr(retries, name)
            else:
                setattr(retries, name, value)
