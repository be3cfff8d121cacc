"""Fixtures of the workflow tests: the emulator and the tap on one settable clock.

The emulator's Workflow API and the tap's workflow streams read "now" from the same
`Clock`, so a test decides which runs exist and which are still going. Retry waits are
instant (and still count against the retry budget), as in tests/tap.
"""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest

from langdock_emulator import Emulator
from tap_langdock.workflow import stream as workflow_stream
from tests.support.clock import FakeClock, fake_clock
from tests.support.secrets import TEST_API_KEY
from tests.workflow.workflow_support import Clock, first_now


@pytest.fixture(autouse=True)
def fake_waits() -> t.Iterator[FakeClock]:
    with fake_clock() as waits:
        yield waits


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """ "Now" for the tap's workflow streams; the `emulator` fixture shares it."""
    now = Clock(dt.datetime(2026, 6, 14, tzinfo=dt.timezone.utc))
    monkeypatch.setattr(workflow_stream, "utc_now", now)
    return now


@pytest.fixture
def emulator(clock: Clock) -> t.Iterator[Emulator]:
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        emu.workflows.clock = clock
        clock.now = first_now(emu)
        yield emu
