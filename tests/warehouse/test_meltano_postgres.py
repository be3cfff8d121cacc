"""Meltano → target-postgres → dbt, end to end against the emulator, into a real PostgreSQL.

The server comes from TARGET_POSTGRES_HOST, _PORT, _USER, _PASSWORD, _DATABASE — the same
variables a user sets for their own server; .ci/run starts a throwaway one. Without them these
tests are skipped (failed when REQUIRE_POSTGRES=1).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import typing as t
from pathlib import Path

import pytest
from warehouse_support import (
    DEFAULT_STREAMS,
    EMAIL_COLUMNS,
    MARTS,
    Loads,
    Postgres,
    check_second_run_exports,
    clean_env,
    dbt_env,
    load_scenario,
    meltano,
)

pytestmark = pytest.mark.slow

INTEGER_TYPES = {"bigint", "integer", "smallint"}


class PostgresLoads(t.NamedTuple):
    loads: Loads
    server: Postgres
    raw: str
    private_raw: str
    project: Path
    work: Path


@pytest.fixture(scope="module")
def postgres_loads(
    meltano_project: Path, postgres: Postgres, tmp_path_factory: pytest.TempPathFactory
) -> PostgresLoads:
    work = tmp_path_factory.mktemp("postgres")
    raw, private_raw = postgres.schema("raw"), postgres.schema("private")
    # The connection comes from TARGET_POSTGRES_* exactly as a user would set them.
    loads = load_scenario(
        meltano_project,
        "target-postgres",
        work,
        {**postgres.env, "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": raw},
        {**postgres.env, "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": private_raw},
    )
    return PostgresLoads(loads, postgres, raw, private_raw, meltano_project, work)


def _table(
    server: Postgres, schema: str, name: str
) -> tuple[list[dict[str, t.Any]], dict[str, str]]:
    with server.connect() as connection:
        types = dict(
            connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = %s and table_name = %s",
                (schema, name),
            ).fetchall()
        )
        cursor = connection.execute(f'select * from "{schema}"."{name}"')
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return rows, types


def test_second_run_exports_only_the_lookback_window_and_the_new_day(
    postgres_loads: PostgresLoads,
) -> None:
    check_second_run_exports(postgres_loads.loads)


@pytest.mark.parametrize("stream", list(DEFAULT_STREAMS))
def test_two_runs_with_lookback_leave_one_row_per_primary_key(
    postgres_loads: PostgresLoads, stream: str
) -> None:
    rows, _ = _table(postgres_loads.server, postgres_loads.raw, stream)
    keys = [
        tuple(
            value.isoformat() if isinstance(value, dt.date) else value
            for value in (row[k] for k in DEFAULT_STREAMS[stream])
        )
        for row in rows
    ]
    duplicates = {key for key in keys if keys.count(key) > 1}
    assert not duplicates, f"{stream}: {len(duplicates)} duplicate key(s), e.g. {min(duplicates)}"
    assert set(keys) == set(postgres_loads.loads.reference.records[stream])


@pytest.mark.parametrize("stream", list(DEFAULT_STREAMS))
def test_values_and_types_survive(postgres_loads: PostgresLoads, stream: str) -> None:
    reference = postgres_loads.loads.reference
    rows, types = _table(postgres_loads.server, postgres_loads.raw, stream)

    def key_of(row: dict[str, t.Any]) -> tuple[t.Any, ...]:
        return tuple(
            row[k].isoformat() if isinstance(row[k], dt.date) else row[k]
            for k in DEFAULT_STREAMS[stream]
        )

    loaded = {key_of(row): row for row in rows}
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
                assert column_type in {"numeric", "double precision", "real"}, where
            elif json_type == "boolean":
                assert column_type == "boolean", where
            elif json_type == "object":
                assert column_type in {"jsonb", "json"}, where
            elif fmt == "date":
                assert column_type == "date", where
            if value is None:
                assert cell is None, where
                continue
            checked.add(column)
            if json_type == "integer":
                assert isinstance(cell, int), where
                assert not isinstance(cell, bool), where
                assert cell == value, where
            elif json_type == "number":
                assert isinstance(cell, decimal.Decimal | float), where
                assert math.isclose(float(cell), value, rel_tol=1e-12), where
            elif json_type == "object":
                assert cell == value, where  # psycopg reads jsonb back as Python objects
            elif fmt == "date":
                assert isinstance(cell, dt.date), where
                assert cell.isoformat() == value, where
            else:
                assert cell == value, where
    assert {"period_start", "window_start", "window_timezone"} <= checked


@pytest.mark.parametrize("stream", list(EMAIL_COLUMNS))
def test_privacy_mode_leaves_email_columns_null(postgres_loads: PostgresLoads, stream: str) -> None:
    rows, types = _table(postgres_loads.server, postgres_loads.private_raw, stream)
    assert rows
    for column in EMAIL_COLUMNS[stream]:
        assert column in types
        assert {row[column] for row in rows} == {None}, f"{stream}.{column}"


def test_dbt_build_passes_and_marts_reconcile(postgres_loads: PostgresLoads) -> None:
    """`dbt build` (models and their tests) through Meltano, in PostgreSQL."""
    server = postgres_loads.server
    env = clean_env(
        MELTANO_DATABASE_URI=f"sqlite:///{postgres_loads.work / 'dbt-state.db'}",
        TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=postgres_loads.raw,
        **server.env,
        **dbt_env(postgres_loads.work, server.prefix),
    )
    run = meltano(postgres_loads.project, ["invoke", "dbt:build-postgres"], env).check()
    assert "ERROR=0" in run.output, run.output[-3000:]
    assert "PASS=" in run.output, run.output[-3000:]

    marts = server.schema("marts")
    reference = postgres_loads.loads.reference
    with server.connect() as connection:
        for mart in MARTS:
            (count,) = connection.execute(f'select count(*) from "{marts}"."{mart}"').fetchone()
            assert count > 0, mart
        (count,) = connection.execute(
            f'select count(*) from "{marts}".project_usage_daily'
        ).fetchone()
        by_day = dict(
            connection.execute(
                f'select usage_date, messages_in_projects from "{marts}".workspace_usage_daily'
            ).fetchall()
        )
    assert count == len(reference.records["projects_usage"])
    expected: dict[dt.date, int] = {}
    for record in reference.records["projects_usage"].values():
        day = dt.date.fromisoformat(record["window_start"])
        expected[day] = expected.get(day, 0) + (record["messages"] or 0)
    assert by_day == expected
