"""target-duckdb 0.8.0 whose batch COPY says ``header false`` (see this package's README).

Without it DuckDB's sniffer may take a batch's first record for a CSV header and drop it.
"""

from __future__ import annotations

import csv
import inspect
import os
import sys
import typing as t

from target_duckdb import db_sync
from target_duckdb import main as target_main

UPSTREAM_COPY = "COPY {} FROM '{}' WITH (new_line '\\\\r\\\\n')"
"""The statement of target-duckdb 0.8.0's ``DbSync.load_rows`` (as it reads in its source)."""


def load_rows(
    self: t.Any, records: t.Iterable[dict[str, t.Any]], count: int, temp_dir: str
) -> None:
    """target-duckdb 0.8.0's ``DbSync.load_rows``, with ``header false`` in its COPY."""
    stream = self.stream_schema_message["stream"]
    self.logger.info("Loading %d rows into '%s'", count, self.table_name(stream, False))
    cur = self.conn
    temp_table = self.table_name(stream, is_temporary=True)
    temp_file_csv = os.path.join(temp_dir, f"{temp_table}.csv")
    cur.execute(self.create_table_query(table_name=temp_table, is_temporary=True))
    with open(temp_file_csv, "w") as f:
        writer = csv.writer(
            f, delimiter=self.delimiter, quotechar=self.quotechar, quoting=csv.QUOTE_MINIMAL
        )
        for record in records:
            writer.writerow(self.record_to_flattened(record))
    # The file has no header line: saying so keeps the sniffer from guessing one.
    cur.execute(f"COPY {temp_table} FROM '{temp_file_csv}' WITH (new_line '\\r\\n', header false)")
    if len(self.stream_schema_message["key_properties"]) > 0:
        cur.execute(self.update_from_temp_table(temp_table))
    cur.execute(self.insert_from_temp_table(temp_table))
    cur.execute(f"DROP TABLE {temp_table}")
    os.unlink(temp_file_csv)


def patch() -> None:
    """Replace ``DbSync.load_rows``, or stop if target-duckdb no longer has what it replaces."""
    source = inspect.getsource(db_sync.DbSync.load_rows)
    if UPSTREAM_COPY not in source:
        sys.exit(
            "langdock-target-duckdb: the installed target-duckdb no longer loads batches with "
            f"{UPSTREAM_COPY!r}; check whether it now says header false, then drop "
            "langdock-target-duckdb from meltano.yml (packages/langdock-target-duckdb/README.md)"
        )
    db_sync.DbSync.load_rows = load_rows


def main() -> None:
    patch()
    target_main()
