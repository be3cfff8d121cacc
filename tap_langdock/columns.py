"""The column model: what a stream declares, and the JSON schema derived from it.

Streams are declarations (``streams.py``); this module is the vocabulary they are written in,
apart from the parser so that declaring a stream does not pull in CSV code.
"""

from __future__ import annotations

import enum
import typing as t
from dataclasses import dataclass

from singer_sdk import typing as th

EXTRA_COLUMNS = "_extra_columns"
PERIOD_KEY = ("period_start", "period_end")
# Every export row's key ends with its period and its workspace (``org_id``): rows of any
# number of workspaces can share one table without one overwriting another.
ROW_KEY = (*PERIOD_KEY, "org_id")

# The group_by values Langdock accepts per export type; anything else is a 400.
GROUP_BY_ALLOWED: dict[str, frozenset[str]] = {
    "users": frozenset({"model"}),
    "agents": frozenset({"model"}),
    "assistants": frozenset({"model"}),
    "api-keys": frozenset({"model"}),
    "models": frozenset({"source", "deployment"}),
}


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


_KIND_TYPES: dict[Kind, th.JSONTypeHelper[t.Any] | type[th.JSONTypeHelper[t.Any]]] = {
    Kind.STRING: th.StringType,
    Kind.INTEGER: th.IntegerType,
    Kind.NUMBER: th.NumberType,
    Kind.BOOLEAN: th.BooleanType,
    Kind.DATE: th.DateType,
    Kind.OBJECT: th.ObjectType(additional_properties=True),
}


def with_group(
    columns: tuple[Column, ...],
    primary_keys: tuple[str, ...],
    *,
    export_type: str,
    group_by: str,
) -> tuple[tuple[Column, ...], tuple[str, ...]]:
    """Columns and key of a stream split by ``group_by``.

    The grouping column goes right after the entity's id columns, in the schema and in the
    primary key. A value Langdock would reject raises TypeError, so a wrong declaration fails
    at import instead of as a 400 in the middle of a run.
    """
    if group_by not in GROUP_BY_ALLOWED.get(export_type, frozenset()):
        msg = f"Langdock does not accept group_by={group_by!r} for {export_type}"
        raise TypeError(msg)
    entity = [key for key in primary_keys if key not in ROW_KEY]
    names = [column.name for column in columns]
    position = names.index(entity[-1]) + 1
    grouped = (*columns[:position], Column(group_by, Kind.STRING), *columns[position:])
    keys = list(primary_keys)
    keys.insert(keys.index(entity[-1]) + 1, group_by)
    return grouped, tuple(keys)


def schema_for(columns: t.Iterable[Column]) -> dict[str, t.Any]:
    """JSON schema from the column declarations plus the tap's own columns."""
    properties = [
        th.Property(column.name, _KIND_TYPES[column.kind], nullable=True) for column in columns
    ]
    properties += [
        th.Property(
            "window_start",
            th.DateType,
            description="First local day of the exported window (in window_timezone).",
        ),
        th.Property(
            "window_end",
            th.DateType,
            description="Last local day of the exported window, inclusive.",
        ),
        th.Property("window_timezone", th.StringType, description="IANA zone of the window."),
        th.Property(
            EXTRA_COLUMNS,
            th.ObjectType(additional_properties=True),
            description="Columns Langdock sent that this version does not know, as text.",
        ),
    ]
    return th.PropertiesList(*properties).to_dict()
