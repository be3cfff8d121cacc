"""The audit_logs bookmark: ``read_through``, the end of the last range whose pages were all read.

``replication_key_value`` holds the same instant, for tools that read bookmarks generically;
a state that has only that (written by hand or another tool) is read as the bookmark, which
is safe because every run re-reads an overlap before it.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from tap_langdock.audit.records import parse_instant
from tap_langdock.errors import StateError

READ_THROUGH = "read_through"
REPLICATION_KEY = "created_at"


def read_through(state: t.Mapping[str, t.Any], stream: str) -> dt.datetime | None:
    """The bookmark in ``state``, or None; raises `StateError` when it is not a date-time."""
    key = READ_THROUGH if state.get(READ_THROUGH) else "replication_key_value"
    value = state.get(key)
    if not value:
        return None
    instant = parse_instant(value)
    if instant is None:
        msg = (
            f"{stream}: the state's {key} {str(value)[:40]!r} is not an ISO date-time; clear "
            "this stream's state (meltano state clear) and run again"
        )
        raise StateError(msg)
    return instant


def advance(state: dict[str, t.Any], stream: str, end: dt.datetime) -> None:
    """Move the bookmark to ``end``, never back (an earlier end_date must not undo reads)."""
    current = read_through(state, stream)
    if current is not None and current >= end:
        return
    value = end.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")
    state[READ_THROUGH] = value
    state["replication_key"] = REPLICATION_KEY
    state["replication_key_value"] = value
