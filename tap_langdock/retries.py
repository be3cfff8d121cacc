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


@dataclass
class RetryBudget:
    """Time and attempt accounting for one window's export."""

    seconds: float
    started: float = field(default_factory=lambda: monotonic())  # noqa: PLW0108 - late-bound for tests
    attempts: int = 0
    retries: int = 0
    waited: float = 0.0

    def remaining(self) -> float:
        """Seconds left before the budget runs out."""
        return self.seconds - (monotonic() - self.started)

    def wait(self, retry_after: float | None) -> float | None:
        """Wait before the next attempt; None when the budget cannot cover the wait."""
        self.retries += 1
        delay = retry_after if retry_after is not None else backoff_delay(self.retries)
        if delay > self.remaining():
            return None
        sleep(delay)
        self.waited += delay
        return delay
