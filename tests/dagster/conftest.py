"""Fixtures of the code location's tests: three emulator workspaces on one server, and the
environment Dagster's workers would have (the workspaces file, one key variable each)."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from langdock_emulator import Workspace
from langdock_emulator.tenants import MultiEmulator
from tests.support.meltano_project import BIN, clean_env
from tests.warehouse.conftest import postgres  # noqa: F401 - the suite's PostgreSQL fixture

NAMES = ("acme", "beta", "gamma")
SEEDS = {"acme": 31, "beta": 32, "gamma": 33}
# The suite's made-up key shape, so the secret scan finds any that escapes.
KEYS = {
    "acme": "ld-acme-SECRET-a1a1a1",
    "beta": "ld-beta-SECRET-b2b2b2",
    "gamma": "ld-gamma-SECRET-c3c3c3",
}
WRONG_KEY = "ld-wrong-SECRET-000000"
START_DATE = "2025-03-01"
END_DATE = "2025-03-03"


def key_variable(name: str) -> str:
    return f"LANGDOCK_KEY_{name.upper()}"


@pytest.fixture
def multi() -> t.Iterator[MultiEmulator]:
    workspaces = {name: Workspace(SEEDS[name], KEYS[name]) for name in NAMES}
    with MultiEmulator(workspaces) as emulator:
        yield emulator


def location_env(
    project: Path, emulator: MultiEmulator, work: Path, loader: str, **extra: str
) -> dict[str, str]:
    """A worker's environment: a workspaces file naming the three, their keys, the dates."""
    work.mkdir(parents=True, exist_ok=True)
    entries = "".join(
        f"  - name: {name}\n    api_key_env: {key_variable(name)}\n    api_url: {emulator.url}\n"
        for name in NAMES
    )
    workspaces = work / "workspaces.yml"
    workspaces.write_text(f"workspaces:\n{entries}", encoding="utf-8")
    return clean_env(
        LANGDOCK_PROJECT_ROOT=str(project),
        LANGDOCK_WORKSPACES_FILE=str(workspaces),
        LANGDOCK_DAGSTER_LOADER=loader,
        LANGDOCK_DAGSTER_MELTANO=str(BIN / "meltano"),
        LANGDOCK_DAGSTER_RETRY_DELAY="0",
        MELTANO_DATABASE_URI=f"sqlite:///{work / 'meltano.db'}",
        TAP_LANGDOCK_START_DATE=START_DATE,
        TAP_LANGDOCK_END_DATE=END_DATE,
        DBT_TARGET_PATH=str(work / "dbt-target"),
        DBT_LOG_PATH=str(work / "dbt-logs"),
        **{**{key_variable(name): KEYS[name] for name in NAMES}, **extra},
    )
