"""The query of an audit-log request: parameters checked as the real API would (400s)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

from langdock_emulator.audit_data import UTC
from langdock_emulator.dates import BadRequestError

MAX_LIMIT = 50
# Zone-less from/to are read in the server's local time, as Langdock's Workflow API does:
# a client that leaves out the zone gets a shifted period, which tests can see.
SERVER_ZONE = ZoneInfo("Europe/Berlin")
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?"
)


@dataclasses.dataclass(frozen=True)
class Query:
    """The parameters of one request, checked."""

    limit: int
    start: dt.datetime | None
    end: dt.datetime | None
    cursor: str | None
    entity_type: str | None
    actor_id: str | None


def after_start(created: dt.datetime, start: dt.datetime, bounds: str) -> bool:
    return created > start if bounds == "exclusive" else created >= start


def before_end(created: dt.datetime, end: dt.datetime, bounds: str) -> bool:
    return created <= end if bounds == "inclusive" else created < end


def parse_query(params: dict[str, str]) -> Query:
    raw_limit = params.get("limit", str(MAX_LIMIT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise BadRequestError(f"limit must be an integer between 1 and {MAX_LIMIT}")
    start = _instant(params.get("from"), "from")
    end = _instant(params.get("to"), "to")
    if start is not None and end is not None and start > end:
        raise BadRequestError("'from' must not be after 'to'")
    return Query(
        limit=int(raw_limit),
        start=start,
        end=end,
        cursor=params.get("cursor") or None,
        entity_type=params.get("entity_type") or None,
        actor_id=params.get("actor_id") or None,
    )


def _instant(text: str | None, name: str) -> dt.datetime | None:
    if text is None:
        return None
    match = _ISO.fullmatch(text.strip())
    if match is None:
        raise BadRequestError(f"Invalid '{name}' date: expected ISO 8601")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        naive = dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        raise BadRequestError(f"Invalid '{name}' date: no such day or time") from None
    if zone is None:
        return naive.replace(tzinfo=SERVER_ZONE).astimezone(UTC)
    if zone == "Z":
        return naive.replace(tzinfo=UTC)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return naive.replace(tzinfo=dt.timezone(sign * offset)).astimezone(UTC)


def offset_of(cursor: str) -> int:
    if not cursor.startswith("off_") or not cursor[4:].isdigit():
        raise BadRequestError("Invalid cursor")
    return int(cursor[4:])
