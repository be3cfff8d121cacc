"""Fixtures of the audit_logs tests: the emulator and the tap on one settable clock.

The emulator's audit log and the tap's stream read "now" from the same `Clock`, so a test
decides what has happened, what has shown up late and what retention removed. Retry waits
are instant (and still count against the retry budget), as in tests/tap.
"""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

import pytest

# Helpers live where they are for now (tests/tap, tests/warehouse); these folders are no
# packages, so they are put on the path once, here.
for _folder in ("tap", "warehouse"):
    _path = str(Path(__file__).resolve().parent.parent / _folder)
    if _path not in sys.path:
        sys.path.append(_path)

from audit_support import AUDIT_NOW, Clock  # noqa: E402
from secret_scan import TEST_API_KEY  # noqa: E402
from tap_support import FakeClock  # noqa: E402

from langdock_emulator import Emulator  # noqa: E402
from tap_langdock import retries  # noqa: E402
from tap_langdock.audit import stream as audit_stream  # noqa: E402


@pytest.fixture(autouse=True)
def fake_waits(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    waits = FakeClock()
    monkeypatch.setattr(retries, "sleep", waits.sleep)
    monkeypatch.setattr(retries, "monotonic", waits.monotonic)
    return waits


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
