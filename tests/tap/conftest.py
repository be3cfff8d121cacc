"""The tap tests wait through the fake retry clock: a Retry-After of 60 s costs nothing."""

from __future__ import annotations

import pytest

from tests.support.clock import FakeClock


@pytest.fixture(autouse=True)
def fake_clock(clock: FakeClock) -> FakeClock:
    return clock
