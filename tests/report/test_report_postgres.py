"""The same report from PostgreSQL: the marts copied over from DuckDB give the same page data.

Uses the server of TARGET_POSTGRES_* like the warehouse tests (skipped without one, a failure
with REQUIRE_POSTGRES=1), in a schema of its own that it drops at the end.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import typing as t
from pathlib import Path

import duckdb
import pytest

from tests.report.report_support import Built, page_data

pytestmark = pytest.mark.slow

_TYPES = {
    "DATE": "date",
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "HUGEINT": "numeric",
    "DOUBLE": "double precision",
    "TIMESTAMP": "timestamp",
}
_VARIABLES = ("TARGET_POSTGRES_HOST", "TARGET_POSTGRES_PORT", "TARGET_POSTGRES_DATABASE")


@pytest.fixture
def postgres_schema() -> t.Iterator[tuple[t.Any, str]]:
    absent = [name for name in _VARIABLES if not os.environ.get(name)]
    if absent:
        reason = "PostgreSQL report test needs a server: set " + ", ".join(absent)
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    import psycopg

    connection = psycopg.connect(
        host=os.environ["TARGET_POSTGRES_HOST"],
        port=int(os.environ["TARGET_POSTGRES_PORT"]),
        user=os.environ.get("TARGET_POSTGRES_USER", "postgres"),
        password=os.environ.get("TARGET_POSTGRES_PASSWORD", ""),
        dbname=os.environ["TARGET_POSTGRES_DATABASE"],
        autocommit=True,
    )
    schema = "lr" + secrets.token_hex(4) + "_marts"
    connection.execute(f'create schema "{schema}"')
    try:
        yield connection, schema
    finally:
        connection.execute(f'drop schema "{schema}" cascade')
        connection.close()


def _copy_marts(database: Path, connection: t.Any, schema: str) -> None:
    with duckdb.connect(str(database), read_only=True) as source:
        tables = [
            row[0]
            for row in source.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'langdock_marts' order by 1"
            ).fetchall()
        ]
        for table in tables:
            columns = source.execute(
                "select column_name, data_type from information_schema.columns where "
                "table_schema = 'langdock_marts' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            ddl = ", ".join(f'"{name}" {_TYPES[kind]}' for name, kind in columns)
            connection.execute(f'create table "{schema}"."{table}" ({ddl})')
            rows = source.execute(f"select * from langdock_marts.{table}").fetchall()
            names = ", ".join(f'"{name}"' for name, _ in columns)
            with connection.cursor().copy(
                f'copy "{schema}"."{table}" ({names}) from stdin'
            ) as copy:
                for row in rows:
                    copy.write_row(row)


def _same(a: t.Any, b: t.Any, where: str) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9), where
    else:
        assert a == b, where


def test_postgres_gives_the_page_data_of_duckdb(
    postgres_schema: tuple[t.Any, str], byok_report: Built, tmp_path: Path
) -> None:
    connection, schema = postgres_schema
    _copy_marts(byok_report.workspace.database, connection, schema)
    out = tmp_path / "postgres.html"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "langdock_report"),
            *("--postgres-env", "--schema", schema, "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    password = os.environ.get("TARGET_POSTGRES_PASSWORD")
    if password:
        assert password not in result.stdout + result.stderr
    from_postgres = page_data(out.read_text(encoding="utf-8"))
    _same(from_postgres, byok_report.data, "page")
