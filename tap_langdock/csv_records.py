"""From a downloaded export CSV to typed records.

Columns are matched by header name, never by position: Langdock drops columns for privacy
and BYOK settings and adds new ones without notice. A file is read twice: the first pass
checks every cell and spools the typed values to a scratch file, the second yields records.
So a file with one bad cell is rejected before any of its rows are emitted.

Exports reach a million rows, so the first pass is the hot loop of the tap. Each file gets a
row converter compiled for its header (cells typed inline, no per-cell call for the common
kinds); a row it cannot convert is converted again cell by cell by the careful path, which
either accepts it (e.g. ``1.0`` as an integer) or names the row, column and value. Typed rows
are spooled in batches, so the second pass costs one ``marshal`` call per batch, not per row.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import hashlib
import marshal
import math
import re
import tempfile
import typing as t
from dataclasses import dataclass, field

import msgspec

from tap_langdock.errors import FileRejected

# Langdock's JSON map cells and long names must fit; anything near this is not usage data.
MAX_CELL_CHARS = 16 * 1024 * 1024
csv.field_size_limit(MAX_CELL_CHARS)

EXTRA_COLUMNS = "_extra_columns"

# Rows per marshal record in the spool: large enough that loading is one call per batch,
# small enough that a batch of wide rows stays a few MB.
SPOOL_BATCH_ROWS = 512
# Distinct values remembered per date column; dates repeat on nearly every row.
DATE_CACHE_SIZE = 4096
_NUL_SCAN_CHUNK = 4 * 1024 * 1024
_SIZE_BYTES = 8


class Kind(enum.Enum):
    """How a CSV cell is typed."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    OBJECT = "object"


@dataclass(frozen=True)
class Column:
    """A documented column of an export type."""

    name: str
    kind: Kind
    pii: bool = False
    """An e-mail or person name: subject to the `pii` setting."""


@dataclass
class HeaderPlan:
    """How one file's header maps onto the stream's columns."""

    names: tuple[str, ...]
    """Output field names, in the order values are spooled."""
    sources: tuple[int | None, ...]
    """CSV index for each output field (None: column absent from this file)."""
    converters: tuple[t.Callable[[str], t.Any], ...]
    extra: tuple[tuple[str, int], ...]
    """Columns the stream does not know: (header name, CSV index)."""
    keys: tuple[tuple[str, int], ...]
    """Key columns, which must not be empty: (name, CSV index)."""
    missing: tuple[str, ...]
    width: int


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRUE = frozenset({"true", "t", "1", "yes", "y"})
_FALSE = frozenset({"false", "f", "0", "no", "n"})


def _to_string(cell: str) -> str:
    if "\x00" in cell:
        msg = "contains a NUL byte"
        raise ValueError(msg)
    return cell


def _to_integer(cell: str) -> int:
    try:
        return int(cell)
    except ValueError:
        number = float(cell)
        if not number.is_integer():
            raise
        return int(number)


def _to_number(cell: str) -> float:
    number = float(cell)
    if math.isinf(number) or math.isnan(number):
        raise ValueError(cell)
    return number


def _to_boolean(cell: str) -> bool:
    text = cell.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(cell)


def _to_date(cell: str) -> str:
    head = cell[:10]
    if not _DATE.fullmatch(head) or (len(cell) > 10 and cell[10] not in "T "):
        raise ValueError(cell)
    dt.date.fromisoformat(head)
    return head


_decode_json = msgspec.json.Decoder().decode


def _to_object(cell: str) -> dict[str, t.Any]:
    # Strict JSON: NaN, Infinity and lone surrogates are refused, since no loader could
    # store them; the file is then rejected like any other bad cell.
    value = _decode_json(cell)
    if not isinstance(value, dict):
        raise ValueError(cell)
    return value


def _hash(cell: str) -> str:
    return hashlib.sha256(cell.strip().lower().encode("utf-8")).hexdigest()


_CONVERTERS: dict[Kind, t.Callable[[str], t.Any]] = {
    Kind.STRING: _to_string,
    Kind.INTEGER: _to_integer,
    Kind.NUMBER: _to_number,
    Kind.BOOLEAN: _to_boolean,
    Kind.DATE: _to_date,
    Kind.OBJECT: _to_object,
}

_DESCRIPTIONS = {
    Kind.STRING: "text without NUL bytes",
    Kind.INTEGER: "a whole number",
    Kind.NUMBER: "a number",
    Kind.BOOLEAN: "true/false",
    Kind.DATE: "a YYYY-MM-DD date",
    Kind.OBJECT: "a JSON object",
}


def plan_header(
    header: list[str],
    columns: t.Sequence[Column],
    required: t.Collection[str],
    pii: str,
) -> HeaderPlan:
    """Map a header onto ``columns``; reject headers the stream cannot use."""
    cleaned = [name.strip() for name in header]
    duplicates = sorted({name for name in cleaned if cleaned.count(name) > 1})
    if duplicates:
        msg = f"the header repeats column(s) {', '.join(duplicates)}"
        raise FileRejected(msg)
    index = {name: i for i, name in enumerate(cleaned)}
    absent_keys = [name for name in required if name not in index]
    if absent_keys:
        msg = (
            f"the header lacks key column(s) {', '.join(absent_keys)} "
            f"(header: {', '.join(cleaned)[:300]})"
        )
        raise FileRejected(msg)
    known = {column.name for column in columns}
    converters: list[t.Callable[[str], t.Any]] = []
    for column in columns:
        convert = _CONVERTERS[column.kind]
        if column.pii and pii == "hash":
            convert = _hash
        elif column.pii and pii == "drop":
            convert = _drop
        converters.append(convert)
    return HeaderPlan(
        names=tuple(column.name for column in columns),
        sources=tuple(index.get(column.name) for column in columns),
        converters=tuple(converters),
        extra=tuple((name, i) for i, name in enumerate(cleaned) if name not in known),
        keys=tuple((name, index[name]) for name in required),
        missing=tuple(column.name for column in columns if column.name not in index),
        width=len(cleaned),
    )


def _drop(_cell: str) -> None:
    return None


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
    fast = None if careful else _compile_row(plan)
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
            batch.append(_convert_carefully(row, plan, rows))
        else:
            try:
                batch.append(fast(row))
            except (ValueError, TypeError, KeyError):
                batch.append(_convert_carefully(row, plan, rows))
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


def _convert_carefully(row: list[str], plan: HeaderPlan, number: int) -> tuple[t.Any, ...]:
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
            kind = _kind_of(convert)
            msg = f"data row {number}, column {name}: {_shorten(cell)!r} is not {kind}"
            raise FileRejected(msg) from None
    if plan.extra:
        cells = {name: (row[i] or None) for name, i in plan.extra}
        if any(cell and "\x00" in cell for cell in cells.values()):
            msg = f"data row {number}: an extra column contains a NUL byte"
            raise FileRejected(msg)
        values.append(cells)
    else:
        values.append(None)
    return tuple(values)


_BOOLEANS = {
    spelling: value
    for words, value in ((_TRUE, True), (_FALSE, False))
    for word in words
    for spelling in (word, word.upper(), word.title())
}


def _remember_date(cache: dict[str, str], cell: str) -> str:
    value = _to_date(cell)
    if len(cache) < DATE_CACHE_SIZE:
        cache[cell] = value
    return value


def _compile_row(plan: HeaderPlan) -> t.Callable[[list[str]], tuple[t.Any, ...]]:
    """A function typing one row of this header, without the careful path's per-cell calls.

    It raises ValueError, TypeError or KeyError for any row it does not type exactly as the
    careful path would (the caller then runs the careful path on that row). It skips the NUL
    check of text cells: only files without any NUL byte come here. The generated source holds
    only CSV indexes and names made up here, never text from the file.
    """
    env: dict[str, t.Any] = {
        "_int": int,
        "_float": float,
        "_object": _to_object,
        "_booleans": _BOOLEANS,
        "_remember_date": _remember_date,
        "_extra_names": tuple(name for name, _ in plan.extra),
    }
    lines = ["def convert(row):"]
    if plan.keys:
        keys = " and ".join(f"row[{i}].strip()" for _, i in plan.keys)
        lines.append(f"    if not ({keys}): raise ValueError")
    out: list[str] = []
    for n, (source, convert) in enumerate(zip(plan.sources, plan.converters, strict=True)):
        if source is None or convert is _drop:
            out.append("None")
            continue
        value = f"v{n}"
        lines.append(f"    c = row[{int(source)}]")
        if convert is _to_string:
            lines.append(f"    {value} = c or None")
        elif convert is _to_integer:
            lines.append(f"    {value} = _int(c) if c else None")
        elif convert is _to_number:
            lines.append(f"    {value} = _float(c) if c else None")
            # x - x is 0.0 for every finite float and NaN for inf and NaN.
            lines.append(f"    if c and {value} - {value}: raise ValueError")
        elif convert is _to_boolean:
            lines.append(f"    {value} = _booleans[c] if c else None")
        elif convert is _to_date:
            env[f"_dates{n}"] = {}
            lines.append(
                f"    {value} = (_dates{n}.get(c) or _remember_date(_dates{n}, c)) if c else None"
            )
        elif convert is _to_object:
            lines.append(f"    {value} = _object(c) if c else None")
        else:
            env[f"_convert{n}"] = convert
            lines.append(f"    {value} = _convert{n}(c) if c else None")
        out.append(value)
    if plan.extra:
        cells = "".join(f"row[{int(i)}] or None, " for _, i in plan.extra)
        out.append(f"dict(zip(_extra_names, ({cells})))")
    else:
        out.append("None")
    lines.append(f"    return ({', '.join(out)},)")
    exec(compile("\n".join(lines), "<tap_langdock row converter>", "exec"), env)  # noqa: S102
    return t.cast("t.Callable[[list[str]], tuple[t.Any, ...]]", env["convert"])


def _kind_of(convert: t.Callable[[str], t.Any]) -> str:
    for kind, candidate in _CONVERTERS.items():
        if candidate is convert:
            return _DESCRIPTIONS.get(kind, "text")
    return "valid"


def _shorten(cell: str, limit: int = 40) -> str:
    return cell if len(cell) <= limit else cell[:limit] + "..."
