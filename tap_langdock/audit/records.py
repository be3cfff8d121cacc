"""From an audit-log entry (JSON object) to a typed record, with the `pii` setting applied.

``created_at`` becomes one canonical UTC form (``2026-05-04T09:12:33.120000+00:00``), so every
loader reads the same instant and string comparisons of it are time comparisons. ``changes``
and ``snapshot`` stay JSON objects; fields the tap does not know are kept in ``_extra_fields``
rather than dropped, since an archive that loses data silently is worse than none.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t
from dataclasses import dataclass

from singer_sdk import typing as th

# The export path's rule (SHA-256 of the trimmed, lower-cased text), so a hashed name joins
# across streams.
from tap_langdock.cells import hash_text as hash_pii

UTC = dt.timezone.utc
EXTRA_FIELDS = "_extra_fields"
TEXT_FIELDS = (
    "actor_id",
    "actor_type",
    "actor_name",
    "action",
    "entity_type",
    "entity_id",
    "ip_address",
    "user_agent",
)
JSON_FIELDS = ("changes", "snapshot")
PII_FIELDS = frozenset({"actor_name", "ip_address"})
KNOWN_FIELDS = frozenset({"id", "created_at", *TEXT_FIELDS, *JSON_FIELDS})
WRAPPED_VALUE = "_value"

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)

SCHEMA = th.PropertiesList(
    th.Property("id", th.StringType, required=True, description="Langdock's id of the entry."),
    th.Property(
        "created_at",
        th.DateTimeType,
        required=True,
        description="When the action happened, in UTC.",
    ),
    th.Property("workspace_id", th.StringType, description="The workspace the log belongs to."),
    th.Property("actor_id", th.StringType, nullable=True),
    th.Property(
        "actor_type", th.StringType, nullable=True, description="USER, API_KEY, SYSTEM or SCIM."
    ),
    th.Property("actor_name", th.StringType, nullable=True, description="Subject to `pii`."),
    th.Property(
        "action", th.StringType, nullable=True, description="<entity>.<created|updated|deleted>"
    ),
    th.Property("entity_type", th.StringType, nullable=True),
    th.Property("entity_id", th.StringType, nullable=True),
    th.Property("ip_address", th.StringType, nullable=True, description="Subject to `pii`."),
    th.Property("user_agent", th.StringType, nullable=True),
    th.Property(
        "changes",
        th.ObjectType(additional_properties=True),
        nullable=True,
        description="What changed: {before, after}.",
    ),
    th.Property(
        "snapshot",
        th.ObjectType(additional_properties=True),
        nullable=True,
        description="The entity as it was.",
    ),
    th.Property(
        EXTRA_FIELDS,
        th.ObjectType(additional_properties=True),
        nullable=True,
        description="Fields Langdock sent that this version of the tap does not know.",
    ),
).to_dict()


class BadEntry(ValueError):
    """An entry that cannot be stored: no id, or no readable created_at."""


@dataclass(frozen=True)
class Converted:
    """A typed record and what the stream needs to know about it."""

    record: dict[str, t.Any]
    created_at: dt.datetime
    unknown: tuple[str, ...]
    """Field names the tap does not know (kept in _extra_fields)."""
    wrapped: tuple[str, ...]
    """JSON fields that were not objects (kept as {"_value": ...})."""


def convert(entry: dict[str, t.Any], *, pii: str, workspace_id: str) -> Converted:
    """The record of one entry; raises `BadEntry` when it cannot have one."""
    entry_id = entry.get("id")
    if isinstance(entry_id, int) and not isinstance(entry_id, bool):
        entry_id = str(entry_id)
    if not isinstance(entry_id, str) or not entry_id.strip():
        msg = f"an entry has no id (id is {_shorten(entry_id)})"
        raise BadEntry(msg)
    raw_created = entry.get("created_at")
    created = parse_instant(raw_created)
    if created is None:
        msg = f"entry {entry_id[:60]} has created_at {_shorten(raw_created)}, not an ISO date-time"
        raise BadEntry(msg)
    record: dict[str, t.Any] = {
        "id": entry_id,
        "created_at": created.isoformat(timespec="microseconds"),
        "workspace_id": workspace_id,
    }
    for name in TEXT_FIELDS:
        record[name] = _text(entry.get(name))
    for name in PII_FIELDS:
        if record[name] is not None and pii == "hash":
            record[name] = hash_pii(record[name])
        elif pii == "drop":
            record[name] = None
    wrapped = []
    for name in JSON_FIELDS:
        value = entry.get(name)
        if value is not None and not isinstance(value, dict):
            wrapped.append(name)
            value = {WRAPPED_VALUE: value}
        record[name] = value
    unknown = tuple(sorted(name for name in entry if name not in KNOWN_FIELDS))
    record[EXTRA_FIELDS] = {name: entry[name] for name in unknown} if unknown else None
    return Converted(record, created, unknown, tuple(wrapped))


def parse_instant(value: object) -> dt.datetime | None:
    """An ISO 8601 date-time as an aware UTC datetime (zone-less: UTC), or None.

    Hand-written rather than ``fromisoformat``, which on Python 3.10 takes neither ``Z`` nor
    fractions other than 3 or 6 digits. Digits beyond microseconds are cut, never rounded,
    so an instant never moves across a range boundary.
    """
    if not isinstance(value, str):
        return None
    match = _ISO.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        instant = dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=_zone(zone),
        )
    except ValueError:
        return None
    return instant.astimezone(UTC)


def _zone(text: str | None) -> dt.tzinfo:
    if text is None or text in "Zz":
        return UTC
    digits = text[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    # timezone() itself rejects offsets of a day or more, as ValueError.
    return dt.timezone(-offset if text[0] == "-" else offset)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    # A number or object where text was documented: kept as its JSON text, not lost.
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _shorten(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
