"""Meltano → loader → dbt, end to end against the emulator, into each warehouse in turn.

DuckDB (target-duckdb, a real DuckDB file) always runs. PostgreSQL (target-postgres) uses the
server of TARGET_POSTGRES_HOST, _PORT, _USER, _PASSWORD, _DATABASE — the same variables a user
sets for their own server; .ci/run starts a throwaway one. Without them its tests are skipped
(failed when REQUIRE_POSTGRES=1).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.support.meltano_project import (
    DEFAULT_STREAMS,
    EMAIL_COLUMNS,
    MARTS,
    Loads,
    check_second_run_exports,
    clean_env,
    meltano,
)
from tests.warehouse.warehouses import Warehouse, is_number, plain_key

pytestmark = pytest.mark.slow


def test_second_run_exports_only_the_lookback_window_and_the_new_day(loads: Loads) -> None:
    check_second_run_exports(loads)


@pytest.mark.parametrize("stream", list(DEFAULT_STREAMS))
def test_two_runs_with_lookback_leave_one_row_per_primary_key(
    warehouse: Warehouse, loads: Loads, stream: str
) -> None:
    rows, _ = warehouse.table("raw", stream)
    keys = [plain_key(row[k] for k in DEFAULT_STREAMS[stream]) for row in rows]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates, f"{stream}: {len(duplicates)} duplicate key(s), e.g. {min(duplicates)}"
    assert set(keys) == set(loads.reference.records[stream])


@pytest.mark.parametrize("stream", list(DEFAULT_STREAMS))
def test_values_and_types_survive(warehouse: Warehouse, loads: Loads, stream: str) -> None:
    reference = loads.reference
    rows, types = warehouse.table("raw", stream)
    loaded = {plain_key(row[k] for k in DEFAULT_STREAMS[stream]): row for row in rows}
    checked: set[str] = set()
    for key, expected in reference.records[stream].items():
        row = loaded[key]
        for column, value in expected.items():
            json_type, fmt = reference.property_type(stream, column)
            kind = "date" if json_type == "string" and fmt == "date" else json_type
            cell = row[column]
            where = f"{stream}.{column} {key}"
            if kind in warehouse.column_types:
                assert warehouse.column_types[kind](types[column]), (where, types[column])
            if value is None:
                assert cell is None, where
                continue
            checked.add(column)
            if kind == "integer":
                assert isinstance(cell, int), where
                assert not isinstance(cell, bool), where
                assert cell == value, where
            elif kind == "number":
                assert is_number(cell), where
                assert math.isclose(float(cell), value, rel_tol=1e-12), where
            elif kind == "object":
                assert warehouse.read_json(cell) == value, where
            elif kind == "date":
                assert warehouse.date_text(cell) == value, where
            else:
                assert cell == value, where
    # Every kind of column was compared at least once with a non-null value.
    assert {"period_start", "window_start", "window_timezone"} <= checked


def test_names_with_commas_quotes_newlines_and_accents_survive(
    warehouse: Warehouse, loads: Loads
) -> None:
    rows, _ = warehouse.table("raw", "users_usage")
    names = {row["name"] for row in rows}
    tricky = {name for name in names if name and any(c in name for c in ',"\n')}
    assert tricky, f"the emulator's tricky names should have reached {warehouse.name}"
    assert any(not name.isascii() for name in tricky)


@pytest.mark.parametrize("stream", list(EMAIL_COLUMNS))
def test_privacy_mode_leaves_email_columns_null(
    warehouse: Warehouse, loads: Loads, stream: str
) -> None:
    rows, types = warehouse.table("private", stream)
    assert rows
    for column in EMAIL_COLUMNS[stream]:
        assert column in types
        assert {row[column] for row in rows} == {None}, f"{stream}.{column}"


def test_dbt_build_passes_and_marts_reconcile(
    warehouse: Warehouse, loads: Loads, meltano_project: Path
) -> None:
    """`dbt build` (models and their tests) through Meltano, on the loaded warehouse."""
    env = clean_env(
        MELTANO_DATABASE_URI=f"sqlite:///{warehouse.work / 'dbt-state.db'}",
        **warehouse.dbt_build_env(),
    )
    run = meltano(meltano_project, ["invoke", warehouse.dbt_command], env).check()
    assert "ERROR=0" in run.output, run.output[-3000:]
    assert "PASS=" in run.output, run.output[-3000:]

    for mart in MARTS:
        [(count,)] = warehouse.query(f"select count(*) from {{marts}}.{mart}")
        assert count > 0, mart
    [(count,)] = warehouse.query("select count(*) from {marts}.project_usage_daily")
    assert count == len(loads.reference.records["projects_usage"])
    by_day = {
        plain_key([day])[0]: messages
        for day, messages in warehouse.query(
            "select usage_date, messages_in_projects from {marts}.workspace_usage_daily"
        )
    }
    [(date_type,)] = warehouse.query(
        "select data_type from information_schema.columns where table_schema = "
        "'{marts_name}' and table_name = 'user_usage_daily' and column_name = 'usage_date'"
    )
    expected: dict[str, int] = {}
    for record in loads.reference.records["projects_usage"].values():
        expected[record["window_start"]] = expected.get(record["window_start"], 0) + (
            record["messages"] or 0
        )
    assert by_day == expected
    assert date_type == warehouse.date_type
