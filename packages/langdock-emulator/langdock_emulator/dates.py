"""Langdock's wall-clock-plus-zone date rule, turned into UTC instants."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc

_WALL_CLOCK = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?$"
)
_OFFSET_SUFFIX = re.compile(r"[+-]\d{2}(?::?\d{2})?$")


class BadRequestError(ValueError):
    """A request the real API would answer with 400 Bad Request."""


@dataclasses.dataclass(frozen=True)
class Window:
    """An export window: inclusive UTC bounds plus the local times as requested."""

    from_local: dt.datetime
    to_local: dt.datetime
    from_utc: dt.datetime
    to_utc: dt.datetime

    @property
    def period_start(self) -> str:
        return self.from_utc.date().isoformat()

    @property
    def period_end(self) -> str:
        return self.to_utc.date().isoformat()


def parse_wall_clock(value: object, field: str) -> dt.datetime:
    """Naive local datetime from a request ``date``; a trailing Z is dropped, not applied."""
    if not isinstance(value, str):
        raise BadRequestError(f"Invalid date format for '{field}': expected an ISO-8601 string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1]
    match = _WALL_CLOCK.match(text)
    if match is None:
        if "T" in text and _OFFSET_SUFFIX.search(text.split("T", 1)[1]):
            raise BadRequestError(
                f"Invalid date format for '{field}': UTC offsets are not supported, "
                "send the wall-clock time and use the 'timezone' field"
            )
        raise BadRequestError(f"Invalid date format for '{field}': {value!r}")
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        return dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError as exc:
        raise BadRequestError(f"Invalid date format for '{field}': {exc}") from None


def parse_zone(value: object, field: str) -> ZoneInfo:
    if not isinstance(value, str) or not value:
        raise BadRequestError(f"Invalid timezone for '{field}': expected an IANA zone name")
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequestError(f"Invalid timezone '{value}' for '{field}'") from None


def to_utc(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    # fold=0 is what datetime.replace gives: the earlier of two ambiguous instants, and a
    # nonexistent (spring-forward) time is read with the pre-transition offset.
    return local.replace(tzinfo=zone).astimezone(UTC)


def window_from_body(body: object) -> Window:
    """Validate the ``from``/``to`` part of an export request body."""
    if not isinstance(body, dict):
        raise BadRequestError("Invalid request body: expected a JSON object")
    ends: list[tuple[dt.datetime, dt.datetime]] = []
    for name in ("from", "to"):
        part = body.get(name)
        if not isinstance(part, dict) or "date" not in part or "timezone" not in part:
            raise BadRequestError(
                f"Invalid request body: '{name}' must be an object with 'date' and 'timezone'"
            )
        local = parse_wall_clock(part["date"], f"{name}.date")
        zone = parse_zone(part["timezone"], f"{name}.timezone")
        ends.append((local.replace(tzinfo=zone), to_utc(local, zone)))
    (from_local, from_utc), (to_local, to_utc_) = ends
    if from_utc > to_utc_:
        raise BadRequestError("Invalid date range")
    return Window(from_local, to_local, from_utc, to_utc_)


def iso_with_offset(value: dt.datetime) -> str:
    """ISO-8601 in the value's own zone with milliseconds, as G1 docs show for dateRange."""
    return value.isoformat(timespec="milliseconds")


def local_window(from_local: str, to_local: str, timezone: str) -> Window:
    """The window of wall-clock ``from``/``to`` in one zone, for Python callers."""
    zone = parse_zone(timezone, "timezone")
    start = parse_wall_clock(from_local, "from.date")
    end = parse_wall_clock(to_local, "to.date")
    window = Window(
        start.replace(tzinfo=zone), end.replace(tzinfo=zone), to_utc(start, zone), to_utc(end, zone)
    )
    if window.from_utc > window.to_utc:
        raise BadRequestError("Invalid date range")
    return window
