"""From a downloaded export CSV to typed records.

Columns are matched by header name, never by position: Langdock drops columns for privacy
and BYOK settings and adds new ones without notice. A file is read twice: the first pass
checks every cell and spools the typed values to a scratch file, the second yields records.
So a file with one bad cell is rejected before any of its rows are emitted.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import hashlib
import json
import marshal
import math
import re
import tempfile
import typing as t
from dataclasses import dataclass, field

from tap_langdock.errors import FileRejected

# Langdock's JSON map cells and long names must fit; anything near this is not usage data.
MAX_CELL_CHARS = 16 * 1024 * 1024
csv.field_size_limit(MAX_CELL_CHARS)

EXTRA_COLUMNS = "_extra_columns"


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


def _to_object(cell: str) -> dict[str, t.Any]:
    value = json.loads(cell)
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
        load = marshal.load
        for _ in range(self.rows):
            yield dict(zip(names, load(spool), strict=True))

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
        with open(path, encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text, strict=True)
            try:
                header = next(reader, None)
                if header is None:
                    spool.close()
                    return PreparedFile(plan=None, rows=0)
                plan = plan_header(header, columns, required, pii)
                rows = _spool_rows(reader, plan, spool)
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


def _spool_rows(reader: t.Iterator[list[str]], plan: HeaderPlan, spool: t.IO[bytes]) -> int:
    fields = tuple(zip(plan.names, plan.sources, plan.converters, strict=True))
    extra = plan.extra
    width = plan.width
    dump = marshal.dump
    rows = 0
    for row in reader:
        rows += 1
        if len(row) != width:
            if not any(row) and len(row) <= 1:
                rows -= 1
                continue  # a blank line, e.g. a trailing newline written twice
            msg = f"data row {rows} has {len(row)} cells but the header has {width}"
            raise FileRejected(msg)
        for name, i in plan.keys:
            if not row[i].strip():
                msg = f"data row {rows}: key column {name} is empty"
                raise FileRejected(msg)
        values: list[t.Any] = []
        for name, source, convert in fields:
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
                msg = f"data row {rows}, column {name}: {_shorten(cell)!r} is not {kind}"
                raise FileRejected(msg) from None
        if extra:
            cells = {name: (row[i] or None) for name, i in extra}
            if any(cell and "\x00" in cell for cell in cells.values()):
                msg = f"data row {rows}: an extra column contains a NUL byte"
                raise FileRejected(msg)
            values.append(cells)
        else:
            values.append(None)
        dump(tuple(values), spool)
    return rows


def _kind_of(convert: t.Callable[[str], t.Any]) -> str:
    for kind, candidate in _CONVERTERS.items():
        if candidate is convert:
            return _DESCRIPTIONS.get(kind, "text")
    return "valid"


def _shorten(cell: str, limit: int = 40) -> str:
    return cell if len(cell) <= limit else cell[:limit] + "..."
