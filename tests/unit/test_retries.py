"""Retry timing: Retry-After in both forms, capped exponential backoff, the time budget."""

from __future__ import annotations

import datetime as dt
import email.utils
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_langdock import retries
from tests.support.clock import FakeClock


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("99999", 600.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert retries.parse_retry_after(header) == expected


def test_retry_after_http_date() -> None:
    now = dt.datetime(2026, 11, 25, 12, 0, 0, tzinfo=dt.timezone.utc)
    header = email.utils.format_datetime(now + dt.timedelta(seconds=42), usegmt=True)
    assert retries.parse_retry_after(header, now=now) == 42.0
    past = email.utils.format_datetime(now - dt.timedelta(hours=1), usegmt=True)
    assert retries.parse_retry_after(past, now=now) == 0.0


@given(attempt=st.integers(1, 10_000), seed=st.integers(0, 2**32))
def test_backoff_grows_and_is_capped(attempt: int, seed: int) -> None:
    delay = retries.backoff_delay(attempt, random.Random(seed))
    ceiling = min(retries.MAX_DELAY, 2.0 ** min(attempt - 1, 64))
    assert ceiling / 2 <= delay <= ceiling


def test_budget_honours_retry_after_then_runs_out(clock: FakeClock) -> None:
    budget = retries.RetryBudget(seconds=10)
    assert budget.wait(4.0) == 4.0
    assert budget.wait(5.0) == 5.0
    assert budget.wait(2.0) is None  # 9 s used: a 2 s wait would overrun
    assert clock.slept == [4.0, 5.0]


def test_budget_without_retry_after_backs_off(clock: FakeClock) -> None:
    budget = retries.RetryBudget(seconds=1000)
    waits = [budget.wait(None) for _ in range(8)]
    assert all(w is not None for w in waits)
    assert waits[-1] is not None
    assert waits[-1] >= 30
    assert sum(clock.slept) <= 1000
