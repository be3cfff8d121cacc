"""A minimal Singer target for the crash campaign: tap stdout -> DuckDB, state at each STATE."""

# SQL here is built from quoted identifiers the tap's own schema names, never from input data.

from __future__ import annotations

import json
import pathlib
import typing as t

import duckdb

from tests.support.contract import KEYS
from tests.support.duckdb_checks import duck_type, ident

SCHEMA = "langdock_raw"
# One multi-row statement per batch: DuckDB's executemany costs ~1 ms per row.
_ROWS_PER_INSERT = 500


class PipeLoader:
    """A minimal Singer target: upsert on the key into DuckDB, commit at every STATE.

    Like target-duckdb under Meltano, records that arrive after the last STATE are still loaded
    when the input ends (the tap died), but the saved state stays the last committed one; the
    next run emits those rows again and the upsert replaces them.
    """

    def __init__(self, database: pathlib.Path, state_file: pathlib.Path) -> None:
        self.con = duckdb.connect(str(database))
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        self.state_file = state_file
        self.columns: dict[str, list[str]] = {}
        self.objects: dict[str, set[str]] = {}
        self.pending: dict[str, list[tuple[t.Any, ...]]] = {}
        self.states = 0
        self.partial_lines = 0

    def _schema(self, message: dict[str, t.Any]) -> None:
        stream = message["stream"]
        properties = message["schema"]["properties"]
        names = list(properties)
        types = [duck_type(properties[name]) for name in names]
        key = ", ".join(ident(k) for k in message["key_properties"])
        columns = ", ".join(f"{ident(n)} {kind}" for n, kind in zip(names, types, strict=True))
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{ident(stream)} ({columns}, PRIMARY KEY ({key}))"
        )
        self.columns[stream] = names
        self.objects[stream] = {n for n, k in zip(names, types, strict=True) if k == "JSON"}

    def _flush(self) -> None:
        for stream, rows in self.pending.items():
            if not rows:
                continue
            names = self.columns[stream]
            row_marks = "(" + ", ".join("?" for _ in names) + ")"
            # Deduplicate within the batch (a lookback window can repeat a key), last wins.
            latest = list(
                {tuple(row[names.index(k)] for k in KEYS[stream]): row for row in rows}.values()
            )
            for begin in range(0, len(latest), _ROWS_PER_INSERT):
                chunk = latest[begin : begin + _ROWS_PER_INSERT]
                self.con.execute(
                    f"INSERT OR REPLACE INTO {SCHEMA}.{ident(stream)} VALUES "
                    + ", ".join(row_marks for _ in chunk),
                    [value for row in chunk for value in row],
                )
        self.pending = {}

    def _commit_state(self, value: dict[str, t.Any]) -> None:
        self._flush()
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(value))
        temporary.replace(self.state_file)
        self.states += 1

    def _record(self, message: dict[str, t.Any]) -> None:
        stream = message["stream"]
        record = message["record"]
        self.pending.setdefault(stream, []).append(
            tuple(
                json.dumps(record.get(n))
                if n in self.objects[stream] and record.get(n) is not None
                else record.get(n)
                for n in self.columns[stream]
            )
        )

    def consume(self, lines: t.Iterable[str]) -> None:
        for line in lines:
            if not line.endswith("\n"):
                self.partial_lines += 1  # cut by the kill: never a whole message
                continue
            message = json.loads(line)
            kind = message["type"]
            if kind == "SCHEMA":
                self._schema(message)
            elif kind == "RECORD":
                self._record(message)
            elif kind == "STATE":
                self._commit_state(message["value"])
        self._flush()

    def close(self) -> None:
        self.con.close()
