"""How numbers, dates and names read on the page, in tables and in CSV downloads."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import typing as t

DASH = "\u2014"
_WHITESPACE = re.compile(r"\s+")
# Spreadsheets run cells that start like a formula; a leading apostrophe keeps them text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def integer(value: object) -> str:
    return DASH if value is None else f"{int(t.cast(int, value)):,}"


def decimal(value: object, places: int = 1) -> str:
    return DASH if value is None else f"{float(t.cast(float, value)):,.{places}f}"


def usd(value: object) -> str:
    if value is None:
        return DASH
    amount = float(t.cast(float, value))
    # Costs per request are fractions of a cent: show enough digits to tell them apart.
    places = 4 if 0 < abs(amount) < 1 else 2
    return f"${amount:,.{places}f}"


def percent(value: object, places: int = 0) -> str:
    return DASH if value is None else f"{100 * float(t.cast(float, value)):.{places}f}%"


def day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


def day_range(first: dt.date, last: dt.date) -> str:
    return day(first) if first == last else f"{day(first)} \u2013 {day(last)}"


def one_line(text: object) -> str:
    """Names as one line: Langdock names may hold line breaks and runs of spaces."""
    return _WHITESPACE.sub(" ", str(text)).strip()


_FORMATS: dict[str, t.Callable[[object], str]] = {
    "text": lambda v: DASH if v is None else one_line(v),
    "int": integer,
    "float": decimal,
    "usd": usd,
    "pct": percent,
    "date": lambda v: DASH if v is None else day(t.cast(dt.date, v)),
}


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a chart's table view and CSV download."""

    key: str
    label: str
    kind: str = "int"

    def format(self, value: object) -> str:
        return _FORMATS[self.kind](value)

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "date")


def csv_text(columns: t.Sequence[Column], rows: t.Sequence[t.Mapping[str, object]]) -> str:
    """Raw values (no thousands separators), so the numbers stay numbers in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.label for column in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(column.key)) for column in columns])
    return buffer.getvalue()


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = one_line(value)
        return "'" + text if text.startswith(_FORMULA_START) else text
    return value
