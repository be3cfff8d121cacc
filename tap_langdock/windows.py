"""Export windows: local calendar periods that tile the history, and the plan for one run.

Langdock returns one row per entity for the whole requested period, so the window is the
grain of the data. Windows are whole local days, ISO weeks or calendar months in the
configured time zone; they are sent as wall-clock times with the zone's name, which is how
Langdock reads them, so this module never converts to UTC.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

_ONE_DAY = dt.timedelta(days=1)


class Grain(str, enum.Enum):
    """The length of one export window."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, order=True)
class Window:
    """One export window: local dates ``start`` to ``end``, both inclusive."""

    start: dt.date
    end: dt.date
    grain: Grain

    def next(self) -> Window:
        """The window right after this one."""
        return window_containing(self.end + _ONE_DAY, self.grain)

    def previous(self) -> Window:
        """The window right before this one."""
        return window_containing(self.start - _ONE_DAY, self.grain)

    def request_range(self) -> tuple[str, str]:
        """Wall-clock bounds as Langdock wants them: first and last millisecond, no offset."""
        return (f"{self.start.isoformat()}T00:00:00.000", f"{self.end.isoformat()}T23:59:59.999")

    def __str__(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def window_containing(day: dt.date, grain: Grain) -> Window:
    """The aligned window of ``grain`` that contains ``day``."""
    if grain is Grain.DAY:
        return Window(day, day, grain)
    if grain is Grain.WEEK:
        monday = day - dt.timedelta(days=day.weekday())
        return Window(monday, monday + dt.timedelta(days=6), grain)
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Window(first, following - _ONE_DAY, grain)


@dataclass(frozen=True)
class Plan:
    """The windows one run exports, in ascending order, and how they were chosen."""

    windows: tuple[Window, ...]
    resumed_after: dt.date | None
    """Last local day already exported by earlier runs, if any."""
    lookback: tuple[Window, ...]
    """Windows exported again because they precede the bookmark (late data)."""


def plan_windows(
    *,
    grain: Grain,
    start_date: dt.date,
    end_date: dt.date,
    exported_through: dt.date | None,
    lookback_windows: int,
) -> Plan:
    """Choose the windows of one run.

    ``start_date``'s window is the earliest ever exported; a bookmark (``exported_through``,
    the last day of the last completed window) moves the start to the window after it, less
    ``lookback_windows`` windows, but never before ``start_date``'s window. Only windows that
    end on or before ``end_date`` are exported, so an unfinished period is never bookmarked.
    """
    first = window_containing(start_date, grain)
    lookback: list[Window] = []
    if exported_through is not None:
        resume = window_containing(exported_through, grain).next()
        for _ in range(lookback_windows):
            earlier = resume.previous()
            if earlier.start < first.start:
                break
            resume = earlier
            lookback.append(earlier)
        first = max(first, resume)
        lookback = [w for w in lookback if w >= first]
    windows: list[Window] = []
    window = first
    while window.end <= end_date:
        windows.append(window)
        window = window.next()
    planned = set(windows)
    return Plan(
        windows=tuple(windows),
        resumed_after=exported_through,
        lookback=tuple(sorted(w for w in lookback if w in planned)),
    )
