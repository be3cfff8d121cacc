"""How one file's header maps onto a stream's columns, matched by name, never by position.

Langdock drops columns for privacy and BYOK settings and adds new ones without notice, so
the mapping is made per file; a header the stream cannot use rejects the file.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from tap_langdock import cells
from tap_langdock.columns import Column
from tap_langdock.errors import FileRejected


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
    return HeaderPlan(
        names=tuple(column.name for column in columns),
        sources=tuple(index.get(column.name) for column in columns),
        converters=tuple(
            cells.converter(column.kind, pii=column.pii, mode=pii) for column in columns
        ),
        extra=tuple((name, i) for i, name in enumerate(cleaned) if name not in known),
        keys=tuple((name, index[name]) for name in required),
        missing=tuple(column.name for column in columns if column.name not in index),
        width=len(cleaned),
    )
