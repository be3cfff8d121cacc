"""The warehouses the same Meltano tests run against: a DuckDB file and a PostgreSQL server.

Each says how Meltano reaches it (loader, environment, dbt command), how to read a table
back, and what its column types and cell values look like for each JSON-schema type, so one
set of tests (test_meltano_warehouses.py) holds for both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import typing as t
from pathlib import Path

from tests.support.duckdb_checks import read_table
from tests.support.meltano_project import dbt_env

Rows = list[dict[str, t.Any]]
# Column types a loader may choose for each JSON-schema type ("date": string, format date).
TypeRule = dict[str, t.Callable[[str], bool]]


@dataclasses.dataclass(frozen=True)
class Postgres:
    """A reachable PostgreSQL server and the schemas this session may use."""

    env: dict[str, str]
    prefix: str

    def connect(self) -> t.Any:
        import psycopg

        return psycopg.connect(
            host=self.env["TARGET_POSTGRES_HOST"],
            port=int(self.env["TARGET_POSTGRES_PORT"]),
            user=self.env["TARGET_POSTGRES_USER"],
            password=self.env["TARGET_POSTGRES_PASSWORD"],
            dbname=self.env["TARGET_POSTGRES_DATABASE"],
            autocommit=True,
            connect_timeout=10,
        )

    def schema(self, name: str) -> str:
        return f"{self.prefix}_{name}"


class Warehouse:
    """What the shared tests need of one warehouse; ``work`` is its own scratch directory."""

    name = "?"
    loader = "?"
    dbt_command = "?"
    date_type = "?"
    """The type dbt's marts give ``usage_date``."""
    column_types: t.ClassVar[TypeRule] = {}

    def __init__(self, work: Path) -> None:
        self.work = work

    def destination_env(self, which: str) -> dict[str, str]:
        """Loader settings for the ``raw`` or the ``private`` (privacy-mode) destination."""
        raise NotImplementedError

    def table(self, which: str, stream: str) -> tuple[Rows, dict[str, str]]:
        """Rows and column types of ``stream``'s table in the ``raw`` or ``private`` one."""
        raise NotImplementedError

    def dbt_build_env(self) -> dict[str, str]:
        raise NotImplementedError

    def query(self, sql: str) -> list[tuple[t.Any, ...]]:
        """Rows of ``sql``, where ``{marts}`` is dbt's marts schema (``{marts_name}``: unquoted)."""
        raise NotImplementedError

    def read_json(self, cell: t.Any) -> t.Any:
        """A JSON column's cell as a Python value."""
        return cell

    def date_text(self, cell: t.Any) -> str:
        """A ``format: date`` column's cell as ISO text."""
        return str(cell)


def _is_decimal(kind: str) -> bool:
    return kind.startswith("DECIMAL")


class DuckDBWarehouse(Warehouse):
    """target-duckdb into a DuckDB file per destination; dbt's duckdb profile reads it."""

    name = "duckdb"
    loader = "target-duckdb"
    dbt_command = "dbt:build"
    date_type = "DATE"
    raw_schema = "langdock_raw"  # default_target_schema in meltano.yml
    column_types: t.ClassVar[TypeRule] = {
        "integer": {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}.__contains__,
        "number": lambda kind: kind in {"DOUBLE", "FLOAT"} or _is_decimal(kind),
        "boolean": {"BOOLEAN"}.__contains__,
        # JSON cells become DuckDB JSON, which reads back as the same object.
        "object": {"JSON"}.__contains__,
        # target-duckdb has no DATE mapping for `format: date`; the text is exact and the dbt
        # staging models cast it to DATE.
        "date": {"VARCHAR", "DATE"}.__contains__,
    }

    def database(self, which: str) -> Path:
        return self.work / ("langdock.duckdb" if which == "raw" else "private.duckdb")

    def destination_env(self, which: str) -> dict[str, str]:
        return {"TARGET_DUCKDB_FILEPATH": str(self.database(which))}

    def table(self, which: str, stream: str) -> tuple[Rows, dict[str, str]]:
        return read_table(self.database(which), self.raw_schema, stream)

    def dbt_build_env(self) -> dict[str, str]:
        return {
            "TARGET_DUCKDB_FILEPATH": str(self.database("raw")),
            **dbt_env(self.work, "langdock"),
        }

    def query(self, sql: str) -> list[tuple[t.Any, ...]]:
        import duckdb

        with duckdb.connect(str(self.database("raw")), read_only=True) as connection:
            text = sql.format(marts="langdock_marts", marts_name="langdock_marts")
            return connection.execute(text).fetchall()

    def read_json(self, cell: t.Any) -> t.Any:
        return json.loads(cell)


class PostgresWarehouse(Warehouse):
    """target-postgres into schemas of this session; dbt builds marts beside them."""

    name = "postgres"
    loader = "target-postgres"
    dbt_command = "dbt:build-postgres"
    date_type = "date"
    column_types: t.ClassVar[TypeRule] = {
        "integer": {"bigint", "integer", "smallint"}.__contains__,
        "number": {"numeric", "double precision", "real"}.__contains__,
        "boolean": {"boolean"}.__contains__,
        "object": {"jsonb", "json"}.__contains__,
        "date": {"date"}.__contains__,
    }

    def __init__(self, work: Path, server: Postgres) -> None:
        super().__init__(work)
        self.server = server

    def schema(self, which: str) -> str:
        return self.server.schema(which)

    def destination_env(self, which: str) -> dict[str, str]:
        # The connection comes from TARGET_POSTGRES_* exactly as a user would set them.
        return {**self.server.env, "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": self.schema(which)}

    def table(self, which: str, stream: str) -> tuple[Rows, dict[str, str]]:
        schema = self.schema(which)
        with self.server.connect() as connection:
            types = dict(
                connection.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = %s and table_name = %s",
                    (schema, stream),
                ).fetchall()
            )
            cursor = connection.execute(f'select * from "{schema}"."{stream}"')
            names = [column.name for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return rows, types

    def dbt_build_env(self) -> dict[str, str]:
        return {
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": self.schema("raw"),
            **self.server.env,
            **dbt_env(self.work, self.server.prefix),
        }

    def query(self, sql: str) -> list[tuple[t.Any, ...]]:
        with self.server.connect() as connection:
            name = self.schema("marts")
            text = sql.format(marts=f'"{name}"', marts_name=name)
            return list(connection.execute(text).fetchall())

    def read_json(self, cell: t.Any) -> t.Any:
        return cell  # psycopg reads jsonb back as Python objects

    def date_text(self, cell: t.Any) -> str:
        assert isinstance(cell, dt.date), repr(cell)
        return cell.isoformat()


def is_number(cell: t.Any) -> bool:
    """What a ``number`` column's cell may come back as (DOUBLE/float or NUMERIC/Decimal)."""
    return isinstance(cell, decimal.Decimal | float)


def plain_key(values: t.Iterable[t.Any]) -> tuple[t.Any, ...]:
    """A primary key with DATE cells as ISO text, as the tap's records have them."""
    return tuple(v.isoformat() if isinstance(v, dt.date) else v for v in values)
