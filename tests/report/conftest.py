"""Fixtures of the report tests: marts built by the real pipeline, reports, headless Chromium.

Each workspace is loaded once per session: the emulator on loopback -> Meltano ->
tap-langdock -> target-duckdb -> dbt build, into a DuckDB file of its own. Chromium tests skip
without a Chromium binary, unless REQUIRE_CHROMIUM=1 (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import os
import typing as t
from pathlib import Path

import pytest

from tests.report.chromium import Chromium, find_chromium
from tests.report.report_support import Built, Workspace, build, load_workspace


@pytest.fixture(scope="session")
def workspaces(
    meltano_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> t.Callable[[str], Workspace]:
    """Loads a scenario the first time a test asks for it."""
    work = tmp_path_factory.mktemp("report-loads")
    loaded: dict[str, Workspace] = {}

    def get(name: str) -> Workspace:
        if name not in loaded:
            loaded[name] = load_workspace(meltano_project, work, name)
        return loaded[name]

    return get


@pytest.fixture(scope="session")
def byok(workspaces: t.Callable[[str], Workspace]) -> Workspace:
    return workspaces("byok")


@pytest.fixture(scope="session")
def byok_report(byok: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(byok, tmp_path_factory.mktemp("report") / "langdock-report.html")


def _chromium_required() -> bool:
    return os.environ.get("REQUIRE_CHROMIUM") == "1"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = find_chromium()
    if found is None:
        reason = (
            "headless Chromium is not installed (apt-get install chromium); "
            "REQUIRE_CHROMIUM=1 turns this skip into a failure"
        )
        if _chromium_required():
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@pytest.fixture
def browser(chromium_path: str) -> t.Iterator[Chromium]:
    chromium = Chromium(chromium_path)
    try:
        yield chromium
    finally:
        chromium.close()
