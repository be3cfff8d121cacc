"""DuckDB for the tests: a small Singer loader and the queries that compare two loads.

SQL here is built from quoted identifiers of the tap's own schema names, never from input
data.
"""

from __future__ import annotations

import json
import pathlib
import typing as t

import duckdb

from tests.support.contract import KEYS

if t.TYPE_CHECKING:
    from tests.support.tap_runner import TapRun

_DUCK_TYPES = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "object": "JSON"}


def duck_type(schema: dict[str, t.Any]) -> str:
    """The DuckDB column type of a JSON-schema property (the first non-null type)."""
    types = schema.get("type", "string")
    kinds = [types] if isinstance(types, str) else [k for k in types if k != "null"]
    kind = kinds[0] if kinds else "string"
    if kind == "string" and schema.get("format") == "date":
        return "DATE"
    return _DUCK_TYPES.get(kind, "VARCHAR")


def ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: t.Sequence[t.Any] = ()) -> int:
    row = con.execute(sql, list(params)).fetchone()
    return int(t.cast("tuple[int]", row)[0])


def load_into_duckdb(
    con: duckdb.DuckDBPyConnection, table_schema: str, run: TapRun, *, upsert: bool = False
) -> dict[str, int]:
    """A small Singer loader: one table per stream, columns typed from the SCHEMA message.

    ``upsert=False`` appends every RECORD (duplicates stay visible, which is what the campaign
    counts); ``upsert=True`` replaces rows on the stream's key like target-duckdb does.
    Returns rows per table.
    """
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(table_schema)}")
    counts = {}
    for stream, message in run.schemas.items():
        properties = message["schema"]["properties"]
        names = list(properties)
        table = f"{ident(table_schema)}.{ident(stream)}"
        columns = ", ".join(f"{ident(n)} {duck_type(properties[n])}" for n in names)
        key = ""
        if upsert:
            key = ", PRIMARY KEY (" + ", ".join(ident(k) for k in message["key_properties"]) + ")"
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns}{key})")
        objects = {n for n in names if duck_type(properties[n]) == "JSON"}
        rows = [
            tuple(
                json.dumps(r[n]) if n in objects and r.get(n) is not None else r.get(n)
                for n in names
            )
            for r in run.records.get(stream, [])
        ]
        if rows:
            verb = "INSERT OR REPLACE" if upsert else "INSERT"
            placeholders = ", ".join("?" for _ in names)
            con.executemany(f"{verb} INTO {table} VALUES ({placeholders})", rows)
        counts[stream] = _count(con, f"SELECT count(*) FROM {table}")
    return counts


def duckdb_duplicate_keys(con: duckdb.DuckDBPyConnection, table_schema: str, stream: str) -> int:
    """Rows beyond the first of each primary key of ``stream``'s table (0: every key once)."""
    key = ", ".join(ident(k) for k in KEYS[stream])
    table = f"{ident(table_schema)}.{ident(stream)}"
    return _count(
        con,
        f"SELECT coalesce(sum(n - 1), 0) FROM "
        f"(SELECT count(*) AS n FROM {table} GROUP BY {key} HAVING count(*) > 1)",
    )


def rows_only_in(
    con: duckdb.DuckDBPyConnection, left: str, right: str, columns: t.Sequence[str]
) -> int:
    """Rows of table ``left`` that ``right`` lacks (multiset), over ``columns``."""
    cols = ", ".join(ident(c) for c in columns)
    return _count(
        con,
        f"SELECT count(*) FROM (SELECT {cols} FROM {left} EXCEPT ALL SELECT {cols} FROM {right})",
    )


def duckdb_table_difference(
    con: duckdb.DuckDBPyConnection, left: str, right: str, columns: t.Sequence[str]
) -> int:
    """Rows in one table and not the other (both ways, multiset), over ``columns``."""
    return rows_only_in(con, left, right, columns) + rows_only_in(con, right, left, columns)


def column_types(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table of the current database, in column order."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = "
        "current_database() AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def read_table(
    database: pathlib.Path, schema: str, table: str
) -> tuple[list[dict[str, t.Any]], dict[str, str]]:
    """Every row of a table of a DuckDB file (as dicts) and its column types."""
    with duckdb.connect(str(database), read_only=True) as con:
        types = column_types(con, schema, table)
        cursor = con.execute(f"SELECT * FROM {ident(schema)}.{ident(table)}")
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return rows, types
