"""Widen the primary keys of tables loaded before the usage streams' keys ended in org_id.

    python scripts/widen_keys.py --duckdb output/langdock.duckdb [--schema langdock_raw]
    python scripts/widen_keys.py --postgres [--schema langdock_raw]   # TARGET_POSTGRES_*

target-duckdb and target-postgres create a table's primary key once, when they create the
table, and keep it afterwards. A table loaded by an older tap keeps the key without org_id:
one workspace keeps loading, but a second workspace's rows of the same entity and period
fail the load loudly (DuckDB ConstraintException, PostgreSQL UniqueViolation). Nothing is
overwritten silently. This script gives each such table the tap's key (the stream's primary
key); run it once, with no load running, before loading a second workspace. It changes
nothing else and is a no-op on tables that already have the key.

DuckDB cannot drop a primary key, so each table is copied (same columns and rows), the old
one dropped and the copy given the key, in one transaction. PostgreSQL drops the constraint,
makes org_id NOT NULL and adds the key, also in one transaction.
"""

from __future__ import annotations

import argparse
import os
import sys
import typing as t
from pathlib import Path

from tap_langdock.streams import STREAMS

KEYS: dict[str, tuple[str, ...]] = {stream.name: tuple(stream.primary_keys) for stream in STREAMS}


class WidenError(RuntimeError):
    """One line: which table, what is wrong, what to do."""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def widen_duckdb(path: Path, schema: str) -> list[str]:
    """The tables whose key was widened (DuckDB file at ``path``)."""
    import duckdb  # noqa: PLC0415 - only this warehouse needs it

    if not path.is_file():
        raise WidenError(f"{path}: no such DuckDB file")
    done = []
    with duckdb.connect(str(path)) as connection:
        found = connection.execute(
            "select table_name, constraint_column_names from duckdb_constraints() "
            "where schema_name = ? and constraint_type = 'PRIMARY KEY'",
            [schema],
        ).fetchall()
        for table, columns in found:
            wanted = KEYS.get(str(table))
            if wanted is None or tuple(columns) == wanted:
                continue
            where = f"{schema}.{table}"
            _check_no_nulls(connection, where, wanted, schema, str(table))
            name, copy = f"{_ident(schema)}.{_ident(table)}", _ident(f"{table}__widen")
            connection.execute("begin")
            connection.execute(f"create table {_ident(schema)}.{copy} as select * from {name}")  # noqa: S608 - quoted identifiers
            connection.execute(f"drop table {name}")
            connection.execute(f"alter table {_ident(schema)}.{copy} rename to {_ident(table)}")
            keys = ", ".join(map(_ident, wanted))
            connection.execute(f"alter table {name} add primary key ({keys})")
            connection.execute("commit")
            done.append(where)
    return done


def widen_postgres(environ: t.Mapping[str, str], schema: str) -> list[str]:
    """The tables whose key was widened (PostgreSQL of TARGET_POSTGRES_*)."""
    import psycopg  # noqa: PLC0415 - only this warehouse needs it

    settings = {
        "host": environ.get("TARGET_POSTGRES_HOST", "localhost"),
        "port": int(environ.get("TARGET_POSTGRES_PORT") or 5432),
        "user": environ.get("TARGET_POSTGRES_USER", "postgres"),
        "password": environ.get("TARGET_POSTGRES_PASSWORD", ""),
        "dbname": environ.get("TARGET_POSTGRES_DATABASE", "postgres"),
    }
    done = []
    with psycopg.connect(**settings, connect_timeout=15) as connection:  # type: ignore[arg-type]
        found = connection.execute(
            "select rel.relname, con.conname, "
            "array(select att.attname from unnest(con.conkey) with ordinality as k(num, pos) "
            "join pg_attribute att on att.attrelid = con.conrelid and att.attnum = k.num "
            "order by k.pos) "
            "from pg_constraint con join pg_class rel on rel.oid = con.conrelid "
            "join pg_namespace nsp on nsp.oid = rel.relnamespace "
            "where con.contype = 'p' and nsp.nspname = %s",
            (schema,),
        ).fetchall()
        for table, constraint, columns in found:
            wanted = KEYS.get(str(table))
            if wanted is None or tuple(columns) == wanted:
                continue
            where = f"{schema}.{table}"
            _check_no_nulls(connection, where, wanted, schema, str(table))
            name = f"{_ident(schema)}.{_ident(table)}"
            keys = ", ".join(map(_ident, wanted))
            with connection.transaction():
                connection.execute(f"alter table {name} drop constraint {_ident(constraint)}")
                for column in wanted:
                    connection.execute(
                        f"alter table {name} alter column {_ident(column)} set not null"
                    )
                connection.execute(f"alter table {name} add primary key ({keys})")
            done.append(where)
    return done


def _check_no_nulls(
    connection: t.Any, where: str, keys: tuple[str, ...], schema: str, table: str
) -> None:
    nulls = " or ".join(f"{_ident(column)} is null" for column in keys)
    sql = f"select count(*) from {_ident(schema)}.{_ident(table)} where {nulls}"  # noqa: S608
    (count,) = connection.execute(sql).fetchone()
    if count:
        raise WidenError(
            f"{where}: {count} row(s) have a null in the key ({', '.join(keys)}); "
            "they cannot be kept under the wider key: delete them or reload the table"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--duckdb", type=Path, metavar="FILE", help="a DuckDB file")
    where.add_argument(
        "--postgres", action="store_true", help="PostgreSQL of TARGET_POSTGRES_HOST, _PORT, ..."
    )
    parser.add_argument(
        "--schema", default="langdock_raw", help="the loader's schema (default langdock_raw)"
    )
    args = parser.parse_args(argv)
    try:
        if args.duckdb is not None:
            done = widen_duckdb(args.duckdb, args.schema)
        else:
            done = widen_postgres(os.environ, args.schema)
    except WidenError as exc:
        print(f"widen_keys: error: {exc}", file=sys.stderr)
        return 1
    for table in done:
        print(f"widen_keys: {table}: primary key is now ({', '.join(KEYS[table.split('.')[-1]])})")
    if not done:
        print(f"widen_keys: every table of {args.schema} already has the tap's key")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
