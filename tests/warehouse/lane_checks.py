"""What both emulator lanes share: the load and dbt build, the checks of rows, marts, dbt's run
artifacts, and the report against DuckDB's.

The report built from a lane's warehouse must carry the same page data as one built from
DuckDB for the same days (the same emulator seed through target-duckdb and dbt-duckdb).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
import typing as t
from pathlib import Path

import pytest
from filelock import FileLock

from langdock_emulator import Emulator
from tests.report.report_support import page_data
from tests.support.meltano_project import (
    API_KEY,
    DEFAULT_STREAMS,
    EMAIL_COLUMNS,
    MARTS,
    SECOND_END_DATE,
    Loads,
    Reference,
    Run,
    clean_env,
    dbt_env,
    load_scenario,
    meltano,
    tap_env,
)
from tests.warehouse.warehouses import plain_key


def check_dbt_artifacts(dbt: Run, target_dir: Path, adapter: str) -> None:
    """`dbt build` passed, on ``adapter``, every node succeeding."""
    assert dbt.returncode == 0, dbt.output[-4000:]
    assert "ERROR=0" in dbt.output, dbt.output[-3000:]
    results = json.loads((target_dir / "run_results.json").read_text())
    manifest = json.loads((target_dir / "manifest.json").read_text())
    assert manifest["metadata"]["adapter_type"] == adapter
    statuses = {r["status"] for r in results["results"]}
    assert statuses <= {"success", "pass"}, statuses
    assert len(results["results"]) > 100


def report_page(args: list[str], out: Path, env: dict[str, str]) -> dict[str, t.Any]:
    """The page data of `langdock-report ARGS`."""
    command = [sys.executable, "-m", "langdock_report", *args, "--source", "emulator"]
    result = subprocess.run(
        [*command, "--out", str(out)], env=env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return page_data(out.read_text(encoding="utf-8"))


def duckdb_page(project: Path, work: Path, run_root: Path) -> dict[str, t.Any]:
    """The page data from DuckDB for the days the lanes load (START_DATE..SECOND_END_DATE).

    Built once per test run (``run_root``: the directory all xdist workers share), whichever
    lane asks first: it is the same emulator seed and the same days for both.
    """
    cached = run_root / "lane-duckdb-page.json"
    with FileLock(str(run_root / "lane-duckdb-page.lock")):
        if cached.exists():
            page: dict[str, t.Any] = json.loads(cached.read_text(encoding="utf-8"))
            return page
        duckdb_file = work / "same-days.duckdb"
        with Emulator(api_key=API_KEY, seed=7) as emulator:
            env = clean_env(
                MELTANO_DATABASE_URI=f"sqlite:///{work / 'duckdb-state.db'}",
                TARGET_DUCKDB_FILEPATH=str(duckdb_file),
                **tap_env(emulator.url, end_date=SECOND_END_DATE),
                **dbt_env(work / "duckdb", "langdock", DBT_DUCKDB_PATH=str(duckdb_file)),
            )
            command = [
                "--environment=emulator",
                "run",
                "tap-langdock",
                "target-duckdb",
                "dbt:build",
            ]
            meltano(project, command, env).check()
        page = report_page(["--duckdb", str(duckdb_file)], work / "duckdb.html", clean_env())
        cached.write_text(json.dumps(page), encoding="utf-8")
        return page


def assert_same(a: t.Any, b: t.Any, where: str) -> None:
    """Equal page data; floats to 1e-9 (the warehouses sum in different orders)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9), where
    else:
        assert a == b, where


Query = t.Callable[[str], list[tuple[t.Any, ...]]]


@dataclasses.dataclass
class Built:
    """A lane's three scenario loads and its dbt build, with the environment dbt ran in."""

    loads: Loads
    dbt: Run
    env: dict[str, str]


@dataclasses.dataclass(frozen=True)
class Destinations:
    """Where a lane loads: the emulator's client settings and the two loads' own settings."""

    base: dict[str, str]
    main: dict[str, str]  # the scenario's first two runs, into the raw schema dbt reads
    private: dict[str, str]  # the privacy-mode run
    raw: str  # the raw schema's name as dbt must write it
    dbt_schema: str


def load_and_build(
    project: Path, loader: str, work: Path, where: Destinations, seconds: dict[str, float]
) -> Built:
    """The loader scenario into ``where``, then `dbt build` with the loader's adapter."""
    started = time.monotonic()
    base = where.base
    loads = load_scenario(project, loader, work, {**base, **where.main}, {**base, **where.private})
    seconds["load (3 runs)"] = time.monotonic() - started
    env = clean_env(
        MELTANO_DATABASE_URI=f"sqlite:///{work / 'dbt-state.db'}",
        **base,
        **dbt_env(work, where.dbt_schema, LANGDOCK_RAW_SCHEMA=where.raw),
    )
    started = time.monotonic()
    dbt = meltano(project, ["invoke", f"dbt-{loader.removeprefix('target-')}:build"], env)
    seconds["dbt build"] = time.monotonic() - started
    return Built(loads, dbt, env)


def check_one_row_per_key(query: Query, table: str, stream: str, reference: Reference) -> None:
    rows = query(f"select {', '.join(DEFAULT_STREAMS[stream])} from {table}")
    loaded = [plain_key(row) for row in rows]
    assert len(loaded) == len(set(loaded)), f"{stream}: duplicate keys after the second run"
    assert set(loaded) == set(reference.records[stream])


def check_no_emails(query: Query, table: str, stream: str) -> None:
    for column in EMAIL_COLUMNS[stream]:
        [(rows, non_null)] = query(f"select count(*), count({column}) from {table}")
        assert rows > 0
        assert non_null == 0, f"{stream}.{column}"


def check_marts_equal_truth(query: Query, marts: str, reference: Reference) -> None:
    """The marts in schema ``marts`` against the emulator's records of the same days."""
    for mart in MARTS:
        [(count,)] = query(f"select count(*) from {marts}.{mart}")
        assert count > 0, mart
    records = reference.records
    [(projects,)] = query(f"select count(*) from {marts}.project_usage_daily")
    assert projects == len(records["projects_usage"])
    expected: dict[str, int] = {}
    for record in records["projects_usage"].values():
        day = record["window_start"]
        expected[day] = expected.get(day, 0) + (record["messages"] or 0)
    rows = query(f"select usage_date, messages_in_projects from {marts}.workspace_usage_daily")
    assert {plain_key([day])[0]: messages for day, messages in rows} == expected
    [(users, messages)] = query(
        f"select count(*), sum(message_count) from {marts}.user_usage_daily"
    )
    assert users == len(records["users_usage"])
    assert messages == sum(r["messages_total"] or 0 for r in records["users_usage"].values())
