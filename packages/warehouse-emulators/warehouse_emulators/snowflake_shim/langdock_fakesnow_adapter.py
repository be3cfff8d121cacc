"""Test-only adapter between meltanolabs-target-snowflake and the fakesnow emulator.

It replaces exactly two things, and nothing else of the loader:

1. Routing: the loader has no host/port/protocol settings, so `get_connect_args` adds the
   emulator's (http://127.0.0.1:<LANGDOCK_FAKESNOW_PORT>) and short timeouts, so an emulator
   error fails fast instead of being retried for minutes.
2. The internal-stage load: fakesnow has no user stage (``@~``), no JSON file formats and no
   ``SELECT ... FROM '@~/...'(file_format => ...)``. Instead of PUT, the batch files the loader
   wrote (gzipped JSON lines) are read here and inserted into a temporary table of one VARIANT
   column (RECORD) and the line's position (SEQ); then the loader's *own* MERGE statement runs
   with the staged-file reference replaced by that table, ``$1:`` by ``RECORD:`` and
   ``SEQ8()`` by ``SEQ``. Its ``USING (<select ... QUALIFY ...>)`` source is materialised into
   a second table first (fakesnow's MERGE rewrite cannot join a subquery with QUALIFY).
   CREATE/DROP FILE FORMAT and REMOVE become no-ops.

Everything else — table creation and column types, identifier casing, schema changes, the
``_sdc_*`` metadata columns and the upsert on the key — is the loader's own code and SQL.
"""

from __future__ import annotations

import dataclasses
import gzip
import typing as t
import uuid
from urllib.parse import urlparse

# Only ever imported inside target-snowflake's own process (see sitecustomize.py).
from sqlalchemy import text
from target_snowflake.connector import SnowflakeConnector

EMULATOR_TIMEOUT = 30


def _read_batch_file(uri: str) -> list[str]:
    path = urlparse(uri).path if uri.startswith("file:") else uri
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [line for line in handle.read().splitlines() if line.strip()]


@dataclasses.dataclass(frozen=True)
class StagedMerge:
    """The loader's MERGE split around its source, which runs from tables of ours instead."""

    head: str  # MERGE INTO <table> d
    select: str  # the USING source, reading RECORD/SEQ from the staged rows' table
    tail: str  # <match condition> WHEN MATCHED ... WHEN NOT MATCHED ...


def split_merge(sql: str, stage_ref: str, staged_rows: str) -> StagedMerge:
    """``sql`` (the loader's MERGE from its stage) reading ``staged_rows`` instead."""
    if stage_ref not in sql or "$1:" not in sql or "SEQ8()" not in sql:
        msg = f"fakesnow adapter: target-snowflake's MERGE changed shape: {sql[:300]}"
        raise RuntimeError(msg)
    sql = sql.replace(stage_ref, staged_rows).replace("$1:", "RECORD:").replace("SEQ8()", "SEQ")
    head, rest = sql.split(" using (", 1)
    select, tail = rest.rsplit(") s on ", 1)
    return StagedMerge(head, select, tail)


class Adapter:
    """What replaces the loader's routing and stage methods; one per loader process."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.staged: dict[str, list[str]] = {}  # sync id -> the batch files "put" to the stage
        self._connect_args = SnowflakeConnector.get_connect_args

    def connect_args(self, connector: t.Any) -> dict[str, t.Any]:
        args = dict(self._connect_args(connector))
        args.update(
            host="127.0.0.1", port=self.port, protocol="http",
            network_timeout=EMULATOR_TIMEOUT, login_timeout=EMULATOR_TIMEOUT,
        )  # fmt: skip
        args["session_parameters"] = {
            **args.get("session_parameters", {}),
            "CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False,
        }
        return args

    def merge(
        self, connector: t.Any, full_table_name: t.Any, statement: t.Any, sync_id: str, fmt: str
    ) -> int:
        stage_ref = f"'@~/target-snowflake/{sync_id}'(file_format => {fmt})"
        lines = [line for uri in self.staged.get(sync_id, []) for line in _read_batch_file(uri)]
        db, schema_name = str(full_table_name).split(".")[:2]
        name = f"{db}.{schema_name}.LANGDOCK_STAGE_{uuid.uuid4().hex[:12].upper()}"
        staged_rows, source = name + "_FILES", name + "_SOURCE"
        merge = split_merge(str(statement), stage_ref, staged_rows)
        with connector._connect() as conn, conn.begin():
            # fakesnow's MERGE rewrite needs a current schema (the loader's session has none).
            conn.execute(text(f"use schema {db}.{schema_name}"))
            conn.execute(
                text(f"create or replace table {staged_rows} (RECORD variant, SEQ integer)")
            )
            if lines:
                conn.execute(
                    text(f"insert into {staged_rows} (RECORD, SEQ) values (:record, :seq)"),  # noqa: S608 - our own generated names
                    [{"record": line, "seq": i} for i, line in enumerate(lines)],
                )
            conn.execute(text(f"create or replace table {source} as {merge.select}"))
            row = conn.execute(text(f"{merge.head} using {source} s on {merge.tail}")).fetchone()
            conn.execute(text(f"drop table if exists {staged_rows}"))
            conn.execute(text(f"drop table if exists {source}"))
        return int(sum(row)) if row is not None else len(lines)


def install(port: int) -> None:
    adapter = Adapter(port)

    def get_connect_args(self: t.Any) -> dict[str, t.Any]:
        return adapter.connect_args(self)

    def put_batches_to_stage(self: t.Any, sync_id: str, files: t.Sequence[str]) -> None:
        adapter.staged.setdefault(sync_id, []).extend(files)

    def no_op(self: t.Any, *args: t.Any, **kwargs: t.Any) -> None:
        return None

    def remove_staged_files(self: t.Any, sync_id: str) -> None:
        adapter.staged.pop(sync_id, None)

    def merge_from_stage(  # noqa: PLR0917 - the loader's own signature
        self: t.Any,
        full_table_name: t.Any,
        schema: dict[str, t.Any],
        sync_id: str,
        file_format: str,
        key_properties: t.Sequence[str],
    ) -> int:
        statement, _ = self._get_merge_from_stage_statement(
            full_table_name=full_table_name, schema=schema, sync_id=sync_id,
            file_format=file_format, key_properties=key_properties,
        )  # fmt: skip
        return adapter.merge(self, full_table_name, statement, sync_id, file_format)

    def copy_from_stage(self: t.Any, full_table_name: t.Any, *args: t.Any, **kwargs: t.Any) -> int:
        msg = (
            f"fakesnow adapter: {full_table_name} has no key properties; the adapter only "
            "stands in for the MERGE path (every tap-langdock stream has a key)"
        )
        raise NotImplementedError(msg)

    SnowflakeConnector.get_connect_args = get_connect_args
    SnowflakeConnector.put_batches_to_stage = put_batches_to_stage
    SnowflakeConnector.create_file_format = no_op
    SnowflakeConnector.drop_file_format = no_op
    SnowflakeConnector.remove_staged_files = remove_staged_files
    SnowflakeConnector.merge_from_stage = merge_from_stage
    SnowflakeConnector.copy_from_stage = copy_from_stage
