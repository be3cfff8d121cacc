"""Checks both emulator lanes share: dbt's run artifacts, and the report against DuckDB's.

The report built from a lane's warehouse must carry the same page data as one built from
DuckDB for the same days (the same emulator seed through target-duckdb and dbt-duckdb).
"""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

from langdock_emulator import Emulator
from tests.report.report_support import page_data
from tests.support.meltano_project import (
    API_KEY,
    SECOND_END_DATE,
    Run,
    clean_env,
    dbt_env,
    meltano,
    tap_env,
)


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


def duckdb_page(project: Path, work: Path) -> dict[str, t.Any]:
    """The page data from DuckDB for the days the lanes load (START_DATE..SECOND_END_DATE)."""
    duckdb_file = work / "same-days.duckdb"
    with Emulator(api_key=API_KEY, seed=7) as emulator:
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{work / 'duckdb-state.db'}",
            TARGET_DUCKDB_FILEPATH=str(duckdb_file),
            **tap_env(emulator.url, end_date=SECOND_END_DATE),
            **dbt_env(work / "duckdb", "langdock", DBT_DUCKDB_PATH=str(duckdb_file)),
        )
        command = ["--environment=emulator", "run", "tap-langdock", "target-duckdb", "dbt:build"]
        meltano(project, command, env).check()
    return report_page(["--duckdb", str(duckdb_file)], work / "duckdb.html", clean_env())


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
