"""Fixtures of the audit_logs tests: the emulator and the tap on one settable clock.

The emulator's audit log and the tap's stream read "now" from the same `Clock`, so a test
decides what has happened, what has shown up late and what retention removed. Retry waits
are instant (and still count against the retry budget), as in tests/tap.
"""

from __future__ import annotations

import typing as t

import pytest

from langdock_emulator import Emulator
from tap_langdock.audit import stream as audit_stream
from tests.audit.audit_support import AUDIT_NOW, Clock
from tests.support.clock import FakeClock, fake_clock
from tests.support.secrets import TEST_API_KEY


@pytest.fixture(autouse=True)
def fake_waits() -> t.Iterator[FakeClock]:
    """The suite's one retry clock (the name `clock` is this folder's "now")."""
    with fake_clock() as waits:
        yield waits


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """ "Now" for the tap's audit stream; the `emulator` fixture shares it."""
    now = Clock(AUDIT_NOW)
    monkeypatch.setattr(audit_stream, "utc_now", now)
    return now


@pytest.fixture
def emulator(clock: Clock) -> t.Iterator[Emulator]:
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        emu.audit.clock = clock
        yield emu
