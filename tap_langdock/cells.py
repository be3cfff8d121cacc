"""One CSV cell to one typed value: the careful converters and what each one accepts.

These are the reference semantics of cell typing. ``row_compiler`` generates a faster
per-header version of the same rules; a property test checks the two agree cell by cell.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import typing as t

import msgspec

from tap_langdock.columns import Kind

# Distinct values remembered per date column; dates repeat on nearly every row.
DATE_CACHE_SIZE = 4096

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TRUE = frozenset({"true", "t", "1", "yes", "y"})
FALSE = frozenset({"false", "f", "0", "no", "n"})


def to_string(cell: str) -> str:
    if "\x00" in cell:
        msg = "contains a NUL byte"
        raise ValueError(msg)
    return cell


def to_integer(cell: str) -> int:
    try:
        return int(cell)
    except ValueError:
        number = float(cell)
        if not number.is_integer():
            raise
        return int(number)


def to_number(cell: str) -> float:
    number = float(cell)
    if math.isinf(number) or math.isnan(number):
        raise ValueError(cell)
    return number


def to_boolean(cell: str) -> bool:
    text = cell.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(cell)


def to_date(cell: str) -> str:
    head = cell[:10]
    if not _DATE.fullmatch(head) or (len(cell) > 10 and cell[10] not in "T "):
        raise ValueError(cell)
    dt.date.fromisoformat(head)
    return head


_decode_json = msgspec.json.Decoder().decode


def to_object(cell: str) -> dict[str, t.Any]:
    # Strict JSON: NaN, Infinity and lone surrogates are refused, since no loader could
    # store them; the file is then rejected like any other bad cell.
    value = _decode_json(cell)
    if not isinstance(value, dict):
        raise ValueError(cell)
    return value


def hash_text(cell: str) -> str:
    """The `pii: hash` form of a value: stable across runs and exports, not reversible."""
    return hashlib.sha256(cell.strip().lower().encode("utf-8")).hexdigest()


def drop(_cell: str) -> None:
    return None


def remember_date(cache: dict[str, str], cell: str) -> str:
    value = to_date(cell)
    if len(cache) < DATE_CACHE_SIZE:
        cache[cell] = value
    return value


CONVERTERS: dict[Kind, t.Callable[[str], t.Any]] = {
    Kind.STRING: to_string,
    Kind.INTEGER: to_integer,
    Kind.NUMBER: to_number,
    Kind.BOOLEAN: to_boolean,
    Kind.DATE: to_date,
    Kind.OBJECT: to_object,
}

_DESCRIPTIONS = {
    Kind.STRING: "text without NUL bytes",
    Kind.INTEGER: "a whole number",
    Kind.NUMBER: "a number",
    Kind.BOOLEAN: "true/false",
    Kind.DATE: "a YYYY-MM-DD date",
    Kind.OBJECT: "a JSON object",
}


def converter(kind: Kind, *, pii: bool, mode: str) -> t.Callable[[str], t.Any]:
    """The converter of a column: its kind's, or the `pii` setting's for personal data."""
    if pii and mode == "hash":
        return hash_text
    if pii and mode == "drop":
        return drop
    return CONVERTERS[kind]


def describe(convert: t.Callable[[str], t.Any]) -> str:
    """What ``convert`` accepts, for the message that rejects a cell."""
    for kind, candidate in CONVERTERS.items():
        if candidate is convert:
            return _DESCRIPTIONS.get(kind, "text")
    return "valid"


def shorten(cell: str, limit: int = 40) -> str:
    return cell if len(cell) <= limit else cell[:limit] + "..."
