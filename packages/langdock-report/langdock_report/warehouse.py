"""Read-only connections to the warehouse that holds the dbt marts: a DuckDB file or PostgreSQL.

(Snowflake and BigQuery: warehouse_snowflake.py, warehouse_bigquery.py.) The SQL in ``sql/`` is
written once for all: named parameters as ``:name``, the marts schema as ``{marts}`` and the
few dialect differences as macros (dialects.py); each connection translates them to its
driver's style.
"""

from __future__ import annotations

import decimal
import os
import re
import typing as t
from pathlib import Path

import duckdb

from langdock_report.dialects import render
from langdock_report.errors import ReportError

# ``:name`` but not the ``::`` of a PostgreSQL cast.
_PARAMETER = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
# A mart in a query, with its alias if it has one: ``{marts}.user_usage_daily as u``.
_MART = re.compile(r"\{marts\}\.([a-z_][a-z0-9_]*)(\s+as\s+[a-z_][a-z0-9_]*)?", re.I)
WORKSPACE_PARAMETER = "langdock_workspace"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
# The variables target-postgres and dbt's profile read (see transform/profiles.yml).
POSTGRES_VARIABLES = {
    "host": "TARGET_POSTGRES_HOST",
    "port": "TARGET_POSTGRES_PORT",
    "user": "TARGET_POSTGRES_USER",
    "password": "TARGET_POSTGRES_PASSWORD",
    "dbname": "TARGET_POSTGRES_DATABASE",
}

Row = dict[str, t.Any]


def quote_identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        msg = f"schema name {name!r} is not a plain SQL identifier: letters, digits and _ only"
        raise ReportError(msg)
    return f'"{name}"'


def _one_workspace(match: re.Match[str]) -> str:
    """A mart as a derived table of one workspace's rows, aliased as the query had it."""
    table, alias = match.group(1), match.group(2) or f" as {match.group(1)}"
    # table and alias are the query's own words (sql/ files), matched as plain identifiers.
    where = f"workspace_id = :{WORKSPACE_PARAMETER}"
    return f"(select * from {{marts}}.{table} where {where}){alias}"  # noqa: S608


def _plain(value: object) -> object:
    """PostgreSQL sums come back as Decimal: counts become int, amounts float."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class Warehouse:
    """One open connection; ``rows`` runs a query of ``sql/`` with named parameters."""

    label = "warehouse"
    dialect = "duckdb"  # a key of dialects.DIALECTS
    # The one workspace (its workspace_id) every query sees, or None for all of them.
    workspace: str | None = None

    def __init__(self, schema: str) -> None:
        quote_identifier(schema)  # refuse a bad name before connecting
        self.schema = schema

    def rows(self, sql: str, params: t.Mapping[str, object]) -> list[Row]:
        if self.workspace is not None:
            # One place for the filter: the queries in sql/ stay the same for one workspace.
            sql = _MART.sub(_one_workspace, sql)
            params = {**params, WORKSPACE_PARAMETER: self.workspace}
        text = render(sql, self.dialect).replace("{marts}", self.quote(self.schema))
        names = set(_PARAMETER.findall(text))
        used = {name: params[name] for name in names}
        columns, records = self._execute(_PARAMETER.sub(self._placeholder, text), used)
        return [{c: _plain(v) for c, v in zip(columns, record, strict=True)} for record in records]

    def tables(self) -> set[str]:
        """Names of the tables and views in the marts schema."""
        sql = (
            "select table_name from information_schema.tables where table_schema = :schema "
            "order by table_name"
        )
        columns, records = self._execute(
            _PARAMETER.sub(self._placeholder, sql), {"schema": self.schema}
        )
        del columns
        return {str(record[0]) for record in records}

    def quote(self, name: str) -> str:
        return quote_identifier(name)

    def _placeholder(self, match: re.Match[str]) -> str:
        raise NotImplementedError

    def _execute(
        self, sql: str, params: dict[str, object]
    ) -> tuple[list[str], list[tuple[t.Any, ...]]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DuckDBWarehouse(Warehouse):
    def __init__(self, path: Path, schema: str) -> None:
        super().__init__(schema)
        self.label = f"DuckDB file {path}"
        if not path.is_file():
            msg = f"{path}: no such DuckDB file; `make run` builds output/langdock.duckdb"
            raise ReportError(msg)
        try:
            self._connection = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            msg = f"{path}: cannot open it read-only ({first}); is a load still writing to it?"
            raise ReportError(msg) from exc

    def _placeholder(self, match: re.Match[str]) -> str:
        return "$" + match.group(1)

    def _execute(
        self, sql: str, params: dict[str, object]
    ) -> tuple[list[str], list[tuple[t.Any, ...]]]:
        cursor = self._connection.execute(sql, params)
        return [c[0] for c in cursor.description or []], cursor.fetchall()

    def close(self) -> None:
        self._connection.close()


class PostgresWarehouse(Warehouse):
    dialect = "postgres"

    def __init__(self, dsn: str | None, schema: str) -> None:
        try:
            import psycopg  # noqa: PLC0415 - optional: only PostgreSQL users install it
        except ImportError as exc:
            msg = "PostgreSQL needs psycopg: pip install 'langdock-report[postgres]'"
            raise ReportError(msg) from exc
        super().__init__(schema)
        settings = _postgres_settings(dsn)
        where = f"{settings.get('host', 'localhost')}:{settings.get('port', 5432)}"
        self.label = f"PostgreSQL database {settings.get('dbname', '')} at {where}"
        try:
            if dsn is not None:
                self._connection = psycopg.connect(dsn, connect_timeout=15)
            else:
                self._connection = psycopg.connect(**settings, connect_timeout=15)  # type: ignore[arg-type]
        except psycopg.Error as exc:
            # psycopg's messages name host and database, never the password.
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            msg = f"cannot connect to the {self.label}: {first}"
            raise ReportError(msg) from exc
        self._connection.read_only = True

    def _placeholder(self, match: re.Match[str]) -> str:
        return f"%({match.group(1)})s"

    def _execute(
        self, sql: str, params: dict[str, object]
    ) -> tuple[list[str], list[tuple[t.Any, ...]]]:
        with self._connection.cursor() as cursor:
            cursor.execute(sql.encode(), params)
            columns = [c.name for c in cursor.description or []]
            return columns, cursor.fetchall()

    def close(self) -> None:
        self._connection.close()


def _postgres_settings(dsn: str | None) -> dict[str, object]:
    """Connection settings of the DSN, or else of the TARGET_POSTGRES_* variables."""
    if dsn is not None:
        from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415 - optional

        try:
            return dict(conninfo_to_dict(dsn))
        except Exception as exc:
            msg = "--postgres: not a PostgreSQL connection string (host=... dbname=... or a URI)"
            raise ReportError(msg) from exc
    settings: dict[str, object] = {}
    for key, variable in POSTGRES_VARIABLES.items():
        value = os.environ.get(variable)
        if value:
            settings[key] = int(value) if key == "port" else value
    missing = [POSTGRES_VARIABLES[k] for k in ("host", "dbname") if k not in settings]
    if missing:
        msg = "--postgres-env: set " + ", ".join(missing) + " (and _PORT, _USER, _PASSWORD)"
        raise ReportError(msg)
    return settings
