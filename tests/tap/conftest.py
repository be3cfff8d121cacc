"""Fixtures for running the tap against the emulator over real loopback HTTP."""

from __future__ import annotations

import typing as t

import pytest
from secret_scan import TEST_API_KEY
from tap_support import FakeClock

from langdock_emulator import Emulator
from tap_langdock import retries


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    clock = FakeClock()
    monkeypatch.setattr(retries, "sleep", clock.sleep)
    monkeypatch.setattr(retries, "monotonic", clock.monotonic)
    monkeypatch.setattr(retries, "pause", clock.pause)
    return clock


@pytest.fixture
def emulator() -> t.Iterator[Emulator]:
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        yield emu
        assert emu.storage_saw_authorization == 0, "the API key reached the storage host"
