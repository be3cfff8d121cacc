"""`python -m langdock_report`: its options, and one clear line for each thing that is wrong."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import typing as t
from pathlib import Path

import duckdb
import pytest

from langdock_report.period import Period
from tests.report.report_support import Workspace, build, visible_text


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "langdock_report", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return lines[0]


def test_a_missing_duckdb_file_is_named_with_what_builds_it(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    line = _error_line(_run("--duckdb", str(missing), "--out", str(tmp_path / "r.html")))
    assert line == (
        f"langdock-report: error: {missing}: no such DuckDB file; "
        "`make run` builds output/langdock.duckdb"
    )
    assert not (tmp_path / "r.html").exists()


def test_a_file_without_marts_names_the_missing_marts(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    line = _error_line(_run("--duckdb", str(empty), "--out", str(tmp_path / "r.html")))
    assert line.startswith(f"langdock-report: error: langdock_marts in the DuckDB file {empty} ")
    assert "workspace_usage_daily, user_usage_daily" in line
    assert (
        "build them with dbt (`make run`, or `meltano invoke dbt:build`), or pass --schema" in line
    )


def test_a_schema_name_that_is_not_an_identifier_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    line = _error_line(_run("--duckdb", str(empty), "--schema", 'x"; drop table y; --'))
    assert "is not a plain SQL identifier" in line


def test_empty_marts_say_to_load_first(tmp_path: Path) -> None:
    database = tmp_path / "bare.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema langdock_marts")
        for name in (
            "user_usage_daily",
            "agent_usage_daily",
            "project_usage_daily",
            "model_usage_daily",
            "api_key_usage_daily",
        ):
            connection.execute(f"create table langdock_marts.{name} (usage_date date)")
        connection.execute(
            "create table langdock_marts.workspace_usage_daily (usage_date date, "
            "window_end date, window_timezone varchar, workspace_id varchar)"
        )
    line = _error_line(_run("--duckdb", str(database), "--out", str(tmp_path / "r.html")))
    assert line.endswith("is empty: load usage first (`make run`)"), line


def test_bad_dates_are_refused_before_anything_is_read(tmp_path: Path) -> None:
    result = _run("--from", "01.02.2025")
    assert result.returncode == 2
    assert "'01.02.2025' is not a date: use YYYY-MM-DD" in result.stderr


@pytest.mark.slow
def test_a_period_outside_or_upside_down_is_refused(byok: Workspace, tmp_path: Path) -> None:
    out = str(tmp_path / "r.html")
    line = _error_line(
        _run(
            "--duckdb",
            str(byok.database),
            "--out",
            out,
            "--from",
            "2025-02-10",
            "--to",
            "2025-02-01",
        )
    )
    assert line.endswith(
        "--from 2025-02-10 is after --to 2025-02-01: give a first day on or before the last"
    )
    line = _error_line(
        _run(
            "--duckdb",
            str(byok.database),
            "--out",
            out,
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-31",
        )
    )
    assert line.endswith(
        "no usage between 2024-01-01 and 2024-01-31: the marts hold 2025-02-01 to 2025-03-02 "
        "(UTC); change --from/--to"
    )


@pytest.mark.slow
def test_a_part_of_the_loaded_days_and_the_source_marker(byok: Workspace, tmp_path: Path) -> None:
    # A copy with the marker `make run` writes next to output/langdock.duckdb.
    database = tmp_path / "langdock.duckdb"
    shutil.copy(byok.database, database)
    (tmp_path / ".langdock.duckdb.source").write_text("emulator\n", encoding="utf-8")
    workspace = Workspace("copy", database, byok.first_day, byok.last_day, byok.byok, byok.pii)
    out = tmp_path / "out" / "part.html"
    built = build(workspace, out, "--from", "2025-02-10", "--to", "2025-02-23", "--top", "3")
    assert built.data["period"] == {
        "first_day": "2025-02-10",
        "last_day": "2025-02-23",
        "days": 14,
        "timezone": "UTC",
        "compare_days": 7,
    }
    assert built.data["source"] == "emulator"
    # Asked beyond the loaded days, a period keeps to them.
    wider = build(workspace, tmp_path / "wider.html", "--from", "2024-12-01", "--to", "2025-02-05")
    assert (wider.data["period"]["first_day"], wider.data["period"]["last_day"]) == (
        "2025-02-01",
        "2025-02-05",
    )
    text = visible_text(built.text)
    assert "Synthetic data from the emulator" in text
    assert "10 Feb 2025 \u2013 23 Feb 2025 (14 days)" in text
    assert "loaded: 1 Feb 2025 to 2 Mar 2025" in text
    top = next(c for c in built.data["charts"] if c["id"] == "top-agents")
    values = top["spec"]["data"]["values"]
    assert len(values) == 3 < values[0]["agents_in_period"]
    assert f"Top 3 of {values[0]['agents_in_period']} agents used" in text
    # Written in one step: no temporary file is left next to the report.
    assert sorted(p.name for p in out.parent.iterdir()) == ["part.html"]


def _period(days: int, window_days: int = 1) -> Period:
    last = dt.date(2025, 6, 30)
    return Period("UTC", last - dt.timedelta(days=days - 1), last, last, last, 1, window_days)


@pytest.mark.parametrize(
    ("days", "compare"), [(1, None), (13, None), (14, 7), (55, 7), (56, 28), (365, 28)]
)
def test_headline_changes_compare_a_week_or_four_weeks(days: int, compare: int | None) -> None:
    period = _period(days)
    assert period.compare_days == compare
    params = period.params(top=10)
    if compare is None:
        assert params["recent_first"] is params["before_first"] is None
        return
    days_of = {name: t.cast("dt.date", params[name]) for name in params if "_" in name}
    assert days_of["recent_last"] == period.last_day
    assert (days_of["recent_last"] - days_of["recent_first"]).days == compare - 1
    assert (days_of["recent_first"] - days_of["before_last"]).days == 1
    assert (days_of["before_last"] - days_of["before_first"]).days == compare - 1
    assert days_of["before_first"] >= period.first_day


def test_week_or_month_windows_are_never_cut_into_day_ranges() -> None:
    assert _period(365, window_days=7).compare_days is None
