"""From a downloaded export CSV to typed records, all or nothing.

A file is read twice: the first pass checks every cell and spools the typed values to a
scratch file, the second yields records. So a file with one bad cell is rejected before any
of its rows are emitted. Columns are matched by header name (``header``); cells are typed by
``cells``, through a converter compiled per header (``row_compiler``) that falls back to the
careful path on any row it cannot type, which either accepts it (e.g. ``1.0`` as an integer)
or names the row, column and value. Typed rows are spooled in batches, so the second pass
costs one ``marshal`` call per batch, not per row.
"""

from __future__ import annotations

import csv
import marshal
import tempfile
import typing as t
from dataclasses import dataclass, field

from tap_langdock import cells
from tap_langdock.columns import EXTRA_COLUMNS, Column, Kind
from tap_langdock.errors import FileRejected
from tap_langdock.header import HeaderPlan, plan_header
from tap_langdock.row_compiler import compile_row

__all__ = [
    "EXTRA_COLUMNS",
    "Column",
    "HeaderPlan",
    "Kind",
    "PreparedFile",
    "plan_header",
    "prepare",
]

# Langdock's JSON map cells and long names must fit; anything near this is not usage data.
MAX_CELL_CHARS = 16 * 1024 * 1024

# Rows per marshal record in the spool: large enough that loading is one call per batch,
# small enough that a batch of wide rows stays a few MB.
SPOOL_BATCH_ROWS = 512
_NUL_SCAN_CHUNK = 4 * 1024 * 1024
_SIZE_BYTES = 8


@dataclass
class PreparedFile:
    """A checked export file whose typed rows wait in a scratch file."""

    plan: HeaderPlan | None
    rows: int
    _spool: t.IO[bytes] | None = field(default=None, repr=False)

    def records(self) -> t.Iterator[dict[str, t.Any]]:
        """Yield the file's records in file order (call once)."""
        if self._spool is None or self.plan is None:
            return
        names = (*self.plan.names, EXTRA_COLUMNS)
        spool = self._spool
        spool.seek(0)
        read = spool.read
        loads = marshal.loads
        left = self.rows
        while left > 0:
            # marshal.load() on a file reads field by field through Python calls; one read
            # and marshal.loads() per batch is an order of magnitude faster.
            size = int.from_bytes(read(_SIZE_BYTES), "little")
            batch = loads(read(size))
            left -= len(batch)
            for values in batch:
                yield dict(zip(names, values, strict=True))

    def close(self) -> None:
        """Drop the scratch file."""
        if self._spool is not None:
            self._spool.close()
            self._spool = None


def prepare(
    path: str,
    columns: t.Sequence[Column],
    required: t.Collection[str],
    pii: str,
) -> PreparedFile:
    """Read and type every row of the CSV at ``path``; raise `FileRejected` on any bad cell."""
    # Process-wide, but set where it is needed rather than as a side effect of importing.
    csv.field_size_limit(MAX_CELL_CHARS)
    spool: t.IO[bytes] = tempfile.TemporaryFile(prefix="tap-langdock-rows-")  # noqa: SIM115
    try:
        careful = _has_nul(path)
        with open(path, encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text, strict=True)
            try:
                header = next(reader, None)
                if header is None:
                    spool.close()
                    return PreparedFile(plan=None, rows=0)
                plan = plan_header(header, columns, required, pii)
                rows = _spool_rows(reader, plan, spool, careful=careful)
            except csv.Error as exc:
                msg = f"the CSV is malformed near line {reader.line_num}: {exc}"
                raise FileRejected(msg) from None
    except UnicodeDecodeError as exc:
        spool.close()
        msg = f"the file is not valid UTF-8 (byte {exc.start} of a block: {exc.reason})"
        raise FileRejected(msg) from None
    except BaseException:
        spool.close()
        raise
    return PreparedFile(plan=plan, rows=rows, _spool=spool)


def _has_nul(path: str) -> bool:
    """Whether the file has a NUL byte anywhere (UTF-8 encodes U+0000 only as that byte).

    Nearly no file does, and then no text cell needs its own NUL check; a file that does gets
    the careful path for every row, which names the row and column.
    """
    with open(path, "rb") as raw:
        while chunk := raw.read(_NUL_SCAN_CHUNK):
            if b"\x00" in chunk:
                return True
    return False


def _spool_rows(
    reader: t.Iterator[list[str]], plan: HeaderPlan, spool: t.IO[bytes], *, careful: bool = False
) -> int:
    fast = None if careful else compile_row(plan)
    width = plan.width
    write = spool.write
    batch: list[tuple[t.Any, ...]] = []
    rows = 0
    for row in reader:
        rows += 1
        if len(row) != width:
            if not any(row) and len(row) <= 1:
                rows -= 1
                continue  # a blank line, e.g. a trailing newline written twice
            msg = f"data row {rows} has {len(row)} cells but the header has {width}"
            raise FileRejected(msg)
        if fast is None:
            batch.append(convert_carefully(row, plan, rows))
        else:
            try:
                batch.append(fast(row))
            except (ValueError, TypeError, KeyError):
                batch.append(convert_carefully(row, plan, rows))
        if len(batch) >= SPOOL_BATCH_ROWS:
            _spool_batch(write, batch)
            batch.clear()
    if batch:
        _spool_batch(write, batch)
    return rows


def _spool_batch(write: t.Callable[[bytes], object], batch: list[tuple[t.Any, ...]]) -> None:
    data = marshal.dumps(batch)
    write(len(data).to_bytes(_SIZE_BYTES, "little"))
    write(data)


def convert_carefully(row: list[str], plan: HeaderPlan, number: int) -> tuple[t.Any, ...]:
    """One row, cell by cell: the typed values, or `FileRejected` naming the first bad cell."""
    for name, i in plan.keys:
        if not row[i].strip():
            msg = f"data row {number}: key column {name} is empty"
            raise FileRejected(msg)
    values: list[t.Any] = []
    for name, source, convert in zip(plan.names, plan.sources, plan.converters, strict=True):
        if source is None:
            values.append(None)
            continue
        cell = row[source]
        if cell == "":
            values.append(None)
            continue
        try:
            values.append(convert(cell))
        except (ValueError, TypeError):
            kind = cells.describe(convert)
            msg = f"data row {number}, column {name}: {cells.shorten(cell)!r} is not {kind}"
            raise FileRejected(msg) from None
    if plan.extra:
        extra = {name: (row[i] or None) for name, i in plan.extra}
        if any(cell and "\x00" in cell for cell in extra.values()):
            msg = f"data row {number}: an extra column contains a NUL byte"
            raise FileRejected(msg)
        values.append(extra)
    else:
        values.append(None)
    return tuple(values)
