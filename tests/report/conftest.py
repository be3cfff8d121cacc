"""Fixtures of the report tests: marts built by the real pipeline, reports, headless Chromium.

Each workspace is loaded once per session: the emulator on loopback -> Meltano ->
tap-langdock -> target-duckdb -> dbt build, into a DuckDB file of its own. Chromium tests skip
without a Chromium binary, unless REQUIRE_CHROMIUM=1 (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
import typing as t
from pathlib import Path

import pytest

# The Meltano helpers of the warehouse tests (one copy of how the suite runs Meltano).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "warehouse"))
from chromium import Chromium, find_chromium
from report_support import page_data
from warehouse_support import (
    MELTANO,
    clean_env,
    dbt_env,
    make_project,
    meltano,
    tap_env,
)

REPORT_PLUGINS = ("tap-langdock", "target-duckdb", "dbt")


@dataclasses.dataclass(frozen=True)
class Workspace:
    """A DuckDB file with the dbt marts over one emulated workspace."""

    name: str
    database: Path
    first_day: dt.date
    last_day: dt.date
    byok: bool
    pii: str


# The main workspace: BYOK (so costs exist), personal data kept, 30 days (headline changes
# compare the last 7 days with the 7 before). The others check the pii modes.
SCENARIOS = {
    "byok": ("2025-02-01", "2025-03-02", True, "keep"),
    "hashed": ("2025-02-01", "2025-02-04", False, "hash"),
    "dropped": ("2025-02-01", "2025-02-02", False, "drop"),
}


@pytest.fixture(scope="session")
def report_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not MELTANO.exists():
        pytest.fail(f"Meltano is not installed next to {MELTANO.parent}: make install")
    project = make_project(tmp_path_factory.mktemp("report-project"))
    env = clean_env(MELTANO_DATABASE_URI=f"sqlite:///{project / 'install.db'}")
    meltano(project, ["install", *REPORT_PLUGINS], env, timeout=900).check()
    return project


def load_workspace(project: Path, work: Path, name: str) -> Workspace:
    from warehouse_support import API_KEY

    from langdock_emulator import Emulator

    first, last, byok, pii = SCENARIOS[name]
    database = work / f"{name}.duckdb"
    with Emulator(api_key=API_KEY, seed=7) as emulator:
        emulator.settings.byok = byok
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{work / f'{name}-state.db'}",
            TARGET_DUCKDB_FILEPATH=str(database),
            **tap_env(emulator.url, end_date=last, TAP_LANGDOCK_START_DATE=first),
            TAP_LANGDOCK_PII=pii,
            **dbt_env(work / name, "langdock"),
        )
        command = ["--environment=emulator", "run", "tap-langdock", "target-duckdb", "dbt:build"]
        meltano(project, command, env).check()
    return Workspace(
        name, database, dt.date.fromisoformat(first), dt.date.fromisoformat(last), byok, pii
    )


@pytest.fixture(scope="session")
def workspaces(
    report_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> t.Callable[[str], Workspace]:
    """Loads a scenario the first time a test asks for it."""
    work = tmp_path_factory.mktemp("report-loads")
    loaded: dict[str, Workspace] = {}

    def get(name: str) -> Workspace:
        if name not in loaded:
            loaded[name] = load_workspace(report_project, work, name)
        return loaded[name]

    return get


@pytest.fixture(scope="session")
def byok(workspaces: t.Callable[[str], Workspace]) -> Workspace:
    return workspaces("byok")


@dataclasses.dataclass(frozen=True)
class Built:
    workspace: Workspace
    html: Path
    text: str
    data: dict[str, t.Any]


def build(workspace: Workspace, out: Path, *extra: str) -> Built:
    """The report as `make report` builds it: the CLI, in a subprocess."""
    import subprocess

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "langdock_report",
            *("--duckdb", str(workspace.database), "--out", str(out)),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"Usage report: {out.resolve()} (" in result.stdout, result.stdout
    text = out.read_text(encoding="utf-8")
    return Built(workspace, out, text, page_data(text))


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
