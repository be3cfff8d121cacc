"""Reading objects whose field names are not published: camelCase and snake_case alike.

Langdock's pages show camelCase (``workflowId``, ``nextCursor``); third-party clients and
other deployments may send snake_case. Every field name is read in its snake_case form, so
both spell one column; when an object has both spellings, the first one wins and the other
is kept among the extra fields under its own name.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import typing as t

# The audit log's reading of ISO instants (Z, offsets, 1-9 fraction digits, never rounded).
from tap_langdock.audit.records import parse_instant

UTC = dt.timezone.utc
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Epoch numbers above this are milliseconds (it is 5138 in seconds, 1973 in milliseconds).
_MILLIS_FROM = 10**11


def snake(name: str) -> str:
    """``workflowId`` -> ``workflow_id``, ``costUSD`` -> ``cost_usd``; snake_case unchanged."""
    return _WORD.sub("_", name).replace("-", "_").lower()


def normalized(item: t.Mapping[str, t.Any]) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
    """(fields by snake_case name, fields whose snake_case name was already taken)."""
    fields: dict[str, t.Any] = {}
    clashes: dict[str, t.Any] = {}
    for name, value in item.items():
        key = snake(name)
        if key in fields:
            clashes[name] = value
        else:
            fields[key] = value
    return fields, clashes


def first(fields: t.Mapping[str, t.Any], *names: str) -> tuple[str | None, t.Any]:
    """(the first of ``names`` present, its value); a documented name before its aliases."""
    for name in names:
        if name in fields:
            return name, fields[name]
    return None, None


def instant(value: object) -> dt.datetime | None:
    """An ISO date-time, or epoch seconds or milliseconds, as aware UTC; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= _MILLIS_FROM else value
        try:
            return dt.datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return parse_instant(value)


def show_instant(value: dt.datetime | None) -> str | None:
    """The one canonical form every instant of these streams is emitted in."""
    return None if value is None else value.isoformat(timespec="microseconds")


def text(value: object) -> str | None:
    """Text as sent; a number or object where text was expected is kept as its JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def number(value: object) -> float | None:
    """A finite number (also from numeric text), else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = float(value) if isinstance(value, int | float | str) else None
    except ValueError:
        return None
    if result is None or not math.isfinite(result):
        return None
    return result


def boolean(value: object) -> bool | None:
    """true/false, also from "true"/"false" text, else None."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def shorten(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
