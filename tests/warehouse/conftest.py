"""Fixtures of the warehouse tests: one Meltano install per session, the warehouses, PostgreSQL.

`warehouse` is DuckDB and PostgreSQL in turn; `loads` is the Meltano scenario run into it.

PostgreSQL: the tests use the server named by TARGET_POSTGRES_HOST, _PORT, _USER, _PASSWORD
and _DATABASE (the variables target-postgres itself reads through Meltano). Without them they
are skipped, unless REQUIRE_POSTGRES=1 (set by .ci/run), which turns the skip into a failure.
Each session works in schemas of its own and drops them at the end.
"""

from __future__ import annotations

import os
import secrets
import typing as t
from pathlib import Path

import pytest

from tests.support.meltano_project import Loads, load_scenario, missing, postgres_required
from tests.warehouse.warehouses import DuckDBWarehouse, Postgres, PostgresWarehouse, Warehouse

POSTGRES_VARIABLES = (
    "TARGET_POSTGRES_HOST",
    "TARGET_POSTGRES_PORT",
    "TARGET_POSTGRES_USER",
    "TARGET_POSTGRES_PASSWORD",
    "TARGET_POSTGRES_DATABASE",
)


@pytest.fixture(scope="session")
def postgres() -> t.Iterator[Postgres]:
    """The PostgreSQL server of TARGET_POSTGRES_*; skipped (or failed in CI) without one."""
    present = {name: os.environ.get(name, "") for name in POSTGRES_VARIABLES}
    absent = [
        name for name, value in present.items() if not value and name != "TARGET_POSTGRES_PASSWORD"
    ]
    if absent:
        missing(
            "PostgreSQL tests need a server: set " + ", ".join(absent) + " (and "
            "TARGET_POSTGRES_PASSWORD if it asks for one); .ci/run starts a throwaway server",
            required=postgres_required(),
        )
    try:
        import psycopg
    except ImportError:
        missing(
            "psycopg is not installed: pip install -e '.[warehouse]'",
            required=postgres_required(),
        )
    server = Postgres(env=present, prefix="lw" + secrets.token_hex(4))
    try:
        with server.connect() as connection:
            connection.execute("select 1")
    except psycopg.Error as exc:
        host = f"{present['TARGET_POSTGRES_HOST']}:{present['TARGET_POSTGRES_PORT']}"
        missing(
            f"PostgreSQL at {host} is not reachable: {exc}".splitlines()[0],
            required=postgres_required(),
        )
    yield server
    with server.connect() as connection:
        rows = connection.execute(
            "select nspname from pg_namespace where nspname like %s", (server.prefix + "%",)
        ).fetchall()
        for (name,) in rows:
            connection.execute(f'drop schema "{name}" cascade')


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def warehouse(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Warehouse:
    """DuckDB always; PostgreSQL when TARGET_POSTGRES_* name a server (see `postgres`)."""
    work = tmp_path_factory.mktemp(request.param)
    if request.param == "duckdb":
        return DuckDBWarehouse(work)
    return PostgresWarehouse(work, request.getfixturevalue("postgres"))


@pytest.fixture(scope="module")
def loads(meltano_project: Path, warehouse: Warehouse) -> Loads:
    """The scenario every loader must pass (`load_scenario`), run into ``warehouse``."""
    return load_scenario(
        meltano_project,
        warehouse.loader,
        warehouse.work,
        warehouse.destination_env("raw"),
        warehouse.destination_env("private"),
    )
