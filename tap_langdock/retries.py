"""How long to wait before the next attempt, and when to give up.

Pure timing rules, kept apart from HTTP so they can be tested exhaustively: capped exponential
backoff with jitter, Langdock's (or a proxy's) ``Retry-After`` honoured in both of its forms,
and one time budget per window.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import random
import threading
import time
import typing as t
from dataclasses import dataclass, field

BASE_DELAY = 1.0
MAX_DELAY = 60.0
MAX_RETRY_AFTER = 600.0

# Indirection so tests can swap in a fake clock (sleep advances monotonic) without patching
# the standard library for everyone.
sleep: t.Callable[[float], None] = time.sleep
monotonic: t.Callable[[], float] = time.monotonic


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        now = now or dt.datetime.now(dt.timezone.utc)
        seconds = (when - now).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def backoff_delay(attempt: int, rng: random.Random | None = None) -> float:
    """Wait after failed attempt number ``attempt`` (1-based): 1, 2, 4 ... capped at 60 s.

    Equal jitter (half fixed, half random) keeps parallel clients from retrying in step
    while still growing the wait.
    """
    ceiling = min(MAX_DELAY, BASE_DELAY * 2.0 ** min(max(attempt - 1, 0), 16))
    jitter: float = (rng or random).uniform(0, ceiling / 2)
    return ceiling / 2 + jitter


def pause(seconds: float, stop: threading.Event | None = None) -> bool:
    """Wait ``seconds``, ending at once when ``stop`` is set; True when it was."""
    if stop is None:
        sleep(seconds)
        return False
    return stop.wait(seconds)


@dataclass
class RetryBudget:
    """The time one window may spend waiting for retries."""

    seconds: float
    started: float = field(default_factory=lambda: monotonic())  # noqa: PLW0108 - late-bound for tests
    waits: int = 0

    def remaining(self) -> float:
        """Seconds left before the budget runs out."""
        return self.seconds - (monotonic() - self.started)

    def next_delay(self, retry_after: float | None, attempt: int | None = None) -> float | None:
        """The wait before the next try; None when the budget cannot cover it.

        ``attempt`` counts the consecutive failures of the step being retried, so the backoff
        grows with a step that keeps failing, not with every retry the window has had.
        Without it, every wait of this budget counts.
        """
        self.waits += 1
        delay = retry_after if retry_after is not None else backoff_delay(attempt or self.waits)
        return None if delay > self.remaining() else delay

    def wait(
        self,
        retry_after: float | None,
        *,
        attempt: int | None = None,
        stop: threading.Event | None = None,
    ) -> float | None:
        """Wait before the next try (cut short by ``stop``); None when the budget is spent."""
        delay = self.next_delay(retry_after, attempt)
        if delay is not None:
            pause(delay, stop)
        return delay
