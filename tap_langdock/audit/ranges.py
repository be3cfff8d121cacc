"""Which periods of the audit log a run reads: pure arithmetic on UTC instants.

The bookmark (``read_through``) is the end of the last range whose pages were all read, so
it says "every entry created before this instant that Langdock showed at the time has been
read". It is never the newest ``created_at`` seen: Langdock's sort order is not documented,
so the newest entry seen says nothing about older ones still unread.

A run reads from ``OVERLAP`` before the bookmark up to a *settled end*, ``SETTLE`` before now
(cut to the minute), in ranges of at most one UTC day. Entries may appear up to
``LATE_ARRIVAL`` after their ``created_at`` (an assumption; Langdock does not say). That
assumption suffices for completeness because ``OVERLAP + SETTLE >= LATE_ARRIVAL``: take an
entry created at ``c``. The first run that moves the bookmark past ``c + OVERLAP`` starts
reading at or before ``c`` (its start is the old bookmark less OVERLAP), and its settled end
is past ``c + OVERLAP``, so it started after ``c + OVERLAP + SETTLE``, when the entry was
visible. So every entry older than the bookmark less OVERLAP has been read, and the newest
OVERLAP is completed by the next runs, whenever they happen. (``tests/audit/test_ranges.py``
checks this by simulating runs at random times.) The overlap beyond the assumption covers
clock skew between this machine and Langdock.

Each range is requested with ``REQUEST_MARGIN`` on both sides and its entries are kept only
when ``start <= created_at < end``, so whether Langdock's ``from``/``to`` are inclusive never
matters and consecutive ranges neither lose nor share an entry.

Langdock keeps 90 days. A bookmark or start older than that leaves a period that can no
longer be read; the plan names it (`Plan.lost`) and starts at the oldest instant that exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

UTC = dt.timezone.utc
SETTLE = dt.timedelta(minutes=5)
LATE_ARRIVAL = dt.timedelta(minutes=10)
OVERLAP = dt.timedelta(minutes=15)
RETENTION = dt.timedelta(days=90)
MAX_RANGE = dt.timedelta(days=1)
REQUEST_MARGIN = dt.timedelta(seconds=1)
_MINUTE = dt.timedelta(minutes=1)


def show(instant: dt.datetime) -> str:
    """An instant for log lines: ``2026-05-04T00:00:00Z`` (microseconds only when present)."""
    utc = instant.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "Z"


@dataclass(frozen=True, order=True)
class Range:
    """Entries with ``start <= created_at < end``."""

    start: dt.datetime
    end: dt.datetime

    def holds(self, instant: dt.datetime) -> bool:
        """Whether an entry created at ``instant`` belongs to this range."""
        return self.start <= instant < self.end

    def request_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """``from`` and ``to`` to ask for: the range widened by the margin on both sides."""
        return self.start - REQUEST_MARGIN, self.end + REQUEST_MARGIN

    def __str__(self) -> str:
        return f"{show(self.start)}..{show(self.end)}"


@dataclass(frozen=True)
class Plan:
    """The ranges of one run, oldest first, and what can no longer be read."""

    ranges: tuple[Range, ...]
    settled_end: dt.datetime
    """The end this run reads up to (before any end_date limit)."""
    lost: Range | None
    """Never-read period that is already past Langdock's retention."""
    resumed_from: dt.datetime | None
    """The incoming bookmark, if any."""


def floor_minute(instant: dt.datetime) -> dt.datetime:
    utc = instant.astimezone(UTC)
    return utc.replace(second=0, microsecond=0)


def ceil_minute(instant: dt.datetime) -> dt.datetime:
    floored = floor_minute(instant)
    return floored if floored == instant else floored + _MINUTE


def plan_ranges(
    *,
    now: dt.datetime,
    start: dt.datetime,
    end: dt.datetime | None = None,
    read_through: dt.datetime | None = None,
) -> Plan:
    """The ranges one run reads.

    ``start``: the earliest instant ever wanted (start_date); ``end``: the latest (end_date),
    or None for "as late as is settled"; ``read_through``: the bookmark. As for the usage
    exports, ``start`` wins over an older bookmark, and the overlap never reaches before it.
    """
    now = now.astimezone(UTC)
    settled = floor_minute(now) - SETTLE
    stop = settled if end is None else min(settled, end.astimezone(UTC))
    oldest = ceil_minute(now - RETENTION)
    unread = start if read_through is None else max(start, read_through)
    first = start if read_through is None else max(start, read_through - OVERLAP)
    lost = None
    if unread < min(oldest, stop):
        lost = Range(unread, min(oldest, stop))
    first = max(first, oldest)
    return Plan(
        ranges=tuple(_split(first, stop)),
        settled_end=settled,
        lost=lost,
        resumed_from=read_through,
    )


def _split(first: dt.datetime, stop: dt.datetime) -> list[Range]:
    """[first, stop) cut at UTC midnights: every range at most a day, none empty."""
    ranges = []
    cursor = first.astimezone(UTC)
    while cursor < stop:
        midnight = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), dt.time(), UTC)
        edge = min(midnight, stop)
        ranges.append(Range(cursor, edge))
        cursor = edge
    return ranges
