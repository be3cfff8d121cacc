"""Fixtures for the robustness tests: an emulator per test and the fake retry clock."""

from __future__ import annotations

import pathlib
import sys
import typing as t

import pytest

HERE = pathlib.Path(__file__).resolve().parent
for path in (HERE, HERE.parents[1] / "scripts"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from robust_support import TEST_API_KEY, Emulator, FakeClock, fake_clock, rescan  # noqa: E402


@pytest.fixture
def clock() -> t.Iterator[FakeClock]:
    with fake_clock() as installed:
        yield installed


@pytest.fixture
def emulator() -> t.Iterator[Emulator]:
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        yield emu
        rescan(emu, where="emulator teardown")
        assert emu.storage_saw_authorization == 0, "the API key reached the storage host"
