"""Run bqemulator with two gaps closed that z3 target-bigquery meets (run by .venv-bqemulator).

1. BigQuery loads gzip-compressed newline-delimited JSON uploaded from a local file (it detects
   the compression itself); z3 target-bigquery's `batch_job` method uploads exactly that.
   bqemulator 1.4.0 reads the upload as plain JSON and fails ("Malformed JSON ... at byte 1").
   The wrapper unzips a gzip upload in bqemulator's staging directory before its load job
   reads it.
2. BigQuery accepts qualified columns on the left of ``MERGE ... WHEN MATCHED THEN UPDATE
   SET target.col = source.col`` -- z3 target-bigquery's upsert writes exactly that -- but
   bqemulator 1.4.0 hands the statement to DuckDB as it is, and DuckDB refuses it ("Qualified
   column names in UPDATE .. SET not supported"). The wrapper drops the qualifier there, and
   only there, before bqemulator translates a query; every other statement reaches it
   unchanged.

The loader itself runs unmodified. Everything else is bqemulator's own ``start`` command.

LANGDOCK_BQEMULATOR_KEEP_GZIP=1 leaves gzip uploads as they are, so that every load job fails
the way it fails on bqemulator itself (the loader's failure path, tested through Meltano).

Usage: python bqemulator_server.py start --rest-port N ...  (the arguments of `bqemulator`)
"""

from __future__ import annotations

import gzip
import os
import re
import typing as t
from pathlib import Path

import sqlglot
from bqemulator import cli
from bqemulator.api.routes import upload
from bqemulator.sql.translator import SQLTranslator
from sqlglot import exp

_MERGE = re.compile(r"\bmerge\b", re.IGNORECASE)


def unqualify_merge_set(sql: str) -> str:
    """``sql`` with ``UPDATE SET a.x = ...`` in its MERGE statements written ``x = ...``."""
    if not _MERGE.search(sql):
        return sql
    try:
        statements = sqlglot.parse(sql, read="bigquery")
    except sqlglot.errors.ParseError:
        return sql  # bqemulator reports its own error for it
    changed = False
    for statement in statements:
        if statement is None:
            continue
        for update in statement.find_all(exp.Update):
            if not isinstance(update.parent, exp.When):
                continue
            for assignment in update.expressions:
                column = assignment.this
                if isinstance(column, exp.Column) and column.table:
                    column.set("table", None)
                    changed = True
    if not changed:
        return sql
    return ";\n".join(s.sql(dialect="bigquery") for s in statements if s is not None)


def gunzip_in_place(path: Path) -> None:
    """Replace a gzip file by its content; any other file stays as it is."""
    with path.open("rb") as handle:
        if handle.read(2) != b"\x1f\x8b":
            return
    with gzip.open(path, "rb") as packed:
        content = packed.read()
    path.write_bytes(content)


def _patch() -> None:
    original = SQLTranslator.translate
    run_load = upload._run_load

    # Off only for the test that needs a load job to fail as bqemulator fails it on gzip.
    keep_gzip = os.environ.get("LANGDOCK_BQEMULATOR_KEEP_GZIP") == "1"

    async def _run_load(*, media_path: str, **kwargs: t.Any) -> t.Any:
        if not keep_gzip:
            gunzip_in_place(Path(media_path))
        return await run_load(media_path=media_path, **kwargs)

    upload._run_load = _run_load

    def translate(self: SQLTranslator, bq_sql: str, **kwargs: t.Any) -> t.Any:
        return original(self, unqualify_merge_set(bq_sql), **kwargs)

    SQLTranslator.translate = translate


if __name__ == "__main__":
    _patch()
    cli.main()
