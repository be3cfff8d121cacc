"""Meltano → target-duckdb → dbt, end to end against the emulator, into a real DuckDB file."""

from __future__ import annotations

import json
import math
import typing as t
from pathlib import Path

import duckdb
import pytest
from warehouse_support import (
    DEFAULT_STREAMS,
    EMAIL_COLUMNS,
    MARTS,
    Loads,
    check_second_run_exports,
    clean_env,
    dbt_env,
    load_scenario,
    meltano,
)

pytestmark = pytest.mark.slow

RAW = "langdock_raw"  # default_target_schema in meltano.yml
INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}


class DuckDBLoads(t.NamedTuple):
    loads: Loads
    database: Path
    private_database: Path
    project: Path
    work: Path


@pytest.fixture(scope="module")
def duckdb_loads(meltano_project: Path, tmp_path_factory: pytest.TempPathFactory) -> DuckDBLoads:
    work = tmp_path_factory.mktemp("duckdb")
    database, private_database = work / "langdock.duckdb", work / "private.duckdb"
    loads = load_scenario(
        meltano_project,
        "target-duckdb",
        work,
        {"TARGET_DUCKDB_FILEPATH": str(database)},
        {"TARGET_DUCKDB_FILEPATH": str(private_database)},
    )
    return DuckDBLoads(loads, database, private_database, meltano_project, work)


def _table(database: Path, table: str) -> tuple[list[dict[str, t.Any]], dict[str, str]]:
    schema, name = table.split(".")
    with duckdb.connect(str(database), read_only=True) as connection:
        types = dict(
            connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()
        )
        cursor = connection.execute(f'select * from "{schema}"."{name}"')
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return rows, types


def test_second_run_exports_only_the_lookback_window_and_the_new_day(
    duckdb_loads: DuckDBLoads,
) -> None:
    check_second_run_exports(duckdb_loads.loads)


@pytest.mark.parametrize("stream", list(DEFAULT_STREAMS))
def test_two_runs_with_lookback_leave_one_row_per_primary_key(
    duckdb_loads: DuckDBLoads, stream: str
) -> None:
    rows, _ = _table(duckdb_loads.database, f"{RAW}.{stream}")
    keys = [tuple(row[k] for k in DEFAULT_STREAMS[stream]) for row in rows]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates, f"{stream}: {len(duplicates)} duplicate key(s), e.g. {min(duplicates)}"
    assert set(keys) == set(duckdb_loads.loads.reference.records[stream])


@pytest.mark.parametrize("stream", list(DEFAULT_STREAMS))
def test_values_and_types_survive(duckdb_loads: DuckDBLoads, stream: str) -> None:
    reference = duckdb_loads.loads.reference
    rows, types = _table(duckdb_loads.database, f"{RAW}.{stream}")
    loaded = {tuple(row[k] for k in DEFAULT_STREAMS[stream]): row for row in rows}
    checked: set[str] = set()
    for key, expected in reference.records[stream].items():
        row = loaded[key]
        for column, value in expected.items():
            json_type, fmt = reference.property_type(stream, column)
            column_type = types[column]
            cell = row[column]
            where = f"{stream}.{column} {key}"
            if json_type == "integer":
                assert column_type in INTEGER_TYPES, where
            elif json_type == "number":
                assert column_type in {"DOUBLE", "FLOAT"} or column_type.startswith("DECIMAL")
            elif json_type == "boolean":
                assert column_type == "BOOLEAN", where
            elif json_type == "object":
                # JSON cells become DuckDB JSON, which reads back as the same object.
                assert column_type == "JSON", where
            elif fmt == "date":
                # target-duckdb has no DATE mapping for `format: date`; the text is exact and
                # the dbt staging models cast it to DATE.
                assert column_type in {"VARCHAR", "DATE"}, where
            if value is None:
                assert cell is None, where
                continue
            checked.add(column)
            if json_type == "integer":
                assert isinstance(cell, int), where
                assert not isinstance(cell, bool), where
                assert cell == value, where
            elif json_type == "number":
                assert math.isclose(float(cell), value, rel_tol=1e-12), where
            elif json_type == "object":
                assert json.loads(cell) == value, where
            elif fmt == "date":
                assert str(cell) == value, where
            else:
                assert cell == value, where
    # Every kind of column was compared at least once with a non-null value.
    assert {"period_start", "window_start", "window_timezone"} <= checked


def test_names_with_commas_quotes_newlines_and_accents_survive(duckdb_loads: DuckDBLoads) -> None:
    rows, _ = _table(duckdb_loads.database, f"{RAW}.users_usage")
    names = {row["name"] for row in rows}
    tricky = {name for name in names if name and any(c in name for c in ',"\n')}
    assert tricky, "the emulator's tricky names should have reached DuckDB"
    assert any(not name.isascii() for name in tricky)


@pytest.mark.parametrize("stream", list(EMAIL_COLUMNS))
def test_privacy_mode_leaves_email_columns_null(duckdb_loads: DuckDBLoads, stream: str) -> None:
    rows, types = _table(duckdb_loads.private_database, f"{RAW}.{stream}")
    assert rows
    for column in EMAIL_COLUMNS[stream]:
        assert column in types
        assert {row[column] for row in rows} == {None}, f"{stream}.{column}"


def test_dbt_build_passes_and_marts_reconcile(duckdb_loads: DuckDBLoads) -> None:
    """`dbt build` (models and their tests) through Meltano, on the loaded DuckDB file."""
    env = clean_env(
        MELTANO_DATABASE_URI=f"sqlite:///{duckdb_loads.work / 'dbt-state.db'}",
        TARGET_DUCKDB_FILEPATH=str(duckdb_loads.database),
        **dbt_env(duckdb_loads.work, "langdock"),
    )
    run = meltano(duckdb_loads.project, ["invoke", "dbt:build"], env).check()
    assert "ERROR=0" in run.output, run.output[-3000:]
    assert "PASS=" in run.output, run.output[-3000:]

    reference = duckdb_loads.loads.reference
    with duckdb.connect(str(duckdb_loads.database), read_only=True) as connection:
        for mart in MARTS:
            (count,) = connection.execute(f"select count(*) from langdock_marts.{mart}").fetchone()
            assert count > 0, mart
        (count,) = connection.execute(
            "select count(*) from langdock_marts.project_usage_daily"
        ).fetchone()
        assert count == len(reference.records["projects_usage"])
        by_day = dict(
            connection.execute(
                "select usage_date::varchar, messages_in_projects "
                "from langdock_marts.workspace_usage_daily"
            ).fetchall()
        )
        (date_type,) = connection.execute(
            "select data_type from information_schema.columns where table_schema = "
            "'langdock_marts' and table_name = 'user_usage_daily' and column_name = 'usage_date'"
        ).fetchone()
    expected: dict[str, int] = {}
    for record in reference.records["projects_usage"].values():
        expected[record["window_start"]] = expected.get(record["window_start"], 0) + (
            record["messages"] or 0
        )
    assert by_day == expected
    assert date_type == "DATE"
