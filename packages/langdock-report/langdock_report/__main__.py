"""Command line: ``python -m langdock_report`` (or ``langdock-report``).

python -m langdock_report               # output/langdock.duckdb -> output/langdock-report.html
python -m langdock_report --duckdb FILE --out FILE.html
python -m langdock_report --postgres "host=... dbname=... user=..."
python -m langdock_report --postgres-env        # TARGET_POSTGRES_HOST, _PORT, _USER, ...
python -m langdock_report --snowflake-env       # TARGET_SNOWFLAKE_ACCOUNT, _USER, ...
python -m langdock_report --bigquery-env        # TARGET_BIGQUERY_PROJECT, _CREDENTIALS_PATH, ...
python -m langdock_report --workspace acme      # one workspace (a name or a workspace id)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from langdock_report.build import build_report
from langdock_report.errors import ReportError
from langdock_report.warehouse import DuckDBWarehouse, PostgresWarehouse, Warehouse
from langdock_report.warehouse_bigquery import BigQueryWarehouse
from langdock_report.warehouse_snowflake import SnowflakeWarehouse

DEFAULT_DUCKDB = Path("output/langdock.duckdb")
DEFAULT_OUT = Path("output/langdock-report.html")
SOURCES = ("auto", "emulator", "langdock", "unknown")


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="langdock-report",
        description="Build a self-contained, offline HTML usage report from the dbt marts.",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--duckdb", type=Path, help=f"DuckDB file (default {DEFAULT_DUCKDB})")
    where.add_argument("--postgres", metavar="DSN", help="PostgreSQL connection string or URI")
    where.add_argument(
        "--postgres-env",
        action="store_true",
        help="PostgreSQL from TARGET_POSTGRES_HOST, _PORT, _USER, _PASSWORD, _DATABASE",
    )
    where.add_argument(
        "--snowflake-env",
        action="store_true",
        help="Snowflake from TARGET_SNOWFLAKE_ACCOUNT, _USER, _PASSWORD, _DATABASE, _WAREHOUSE"
        " (DBT_SNOWFLAKE_HOST, _PORT, _PROTOCOL for an emulator)",
    )
    where.add_argument(
        "--bigquery-env",
        action="store_true",
        help="BigQuery from TARGET_BIGQUERY_PROJECT, _CREDENTIALS_PATH, _LOCATION"
        " (BIGQUERY_EMULATOR_HOST for an emulator); the marts schema is a dataset",
    )
    parser.add_argument(
        "--schema",
        help="schema of the marts (default: $DBT_SCHEMA or langdock, plus _marts)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument(
        "--from", dest="first_day", type=_day, help="first day (default: first loaded)"
    )
    parser.add_argument("--to", dest="last_day", type=_day, help="last day (default: last loaded)")
    parser.add_argument("--top", type=int, default=10, help="rows of each top list (default 10)")
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default="auto",
        help="what the data is; auto reads the marker that `make run` writes next to the file",
    )
    parser.add_argument(
        "--workspace",
        metavar="NAME_OR_ID",
        help="only this workspace: its workspace_id, or its name in the workspaces file "
        "($LANGDOCK_WORKSPACES_FILE or workspaces.yml); default: all, with a breakdown",
    )
    parser.add_argument(
        "--hide-personal-data",
        action="store_true",
        help="leave owners' e-mails out even when they were loaded (pii=keep)",
    )
    return parser


def _source(args: argparse.Namespace, duckdb_file: Path | None) -> str:
    if args.source != "auto":
        return "" if args.source == "unknown" else str(args.source)
    if duckdb_file is None:
        return ""
    # scripts/run_main_job.py writes output/.langdock.duckdb.source: "emulator" or "langdock".
    marker = duckdb_file.with_name(f".{duckdb_file.name}.source")
    try:
        text = marker.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return text if text in ("emulator", "langdock") else ""


def _open(args: argparse.Namespace, schema: str) -> tuple[Warehouse, Path | None]:
    if args.postgres is not None or args.postgres_env:
        return PostgresWarehouse(args.postgres, schema), None
    if args.snowflake_env:
        return SnowflakeWarehouse(schema), None
    if args.bigquery_env:
        return BigQueryWarehouse(schema), None
    path = args.duckdb or DEFAULT_DUCKDB
    return DuckDBWarehouse(path, schema), path


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.top < 1:
        print("langdock-report: error: --top must be 1 or more", file=sys.stderr)
        return 2
    schema = args.schema or (os.environ.get("DBT_SCHEMA") or "langdock") + "_marts"
    try:
        warehouse, duckdb_file = _open(args, schema)
        with warehouse:
            result = build_report(
                warehouse,
                args.out,
                first_day=args.first_day,
                last_day=args.last_day,
                top=args.top,
                source=_source(args, duckdb_file),
                hide_personal_data=args.hide_personal_data,
                workspace=args.workspace,
            )
    except ReportError as exc:
        print(f"langdock-report: error: {exc}", file=sys.stderr)
        return 1
    size = f"{result.bytes / 1_000_000:.1f} MB"
    print(
        f"Usage report: {result.path.resolve()} ({size}, {result.charts} charts, "
        f"{result.first_day} to {result.last_day}, built in {result.seconds:.1f} s)",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
