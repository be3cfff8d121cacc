"""A stream's bookmark: reading it (old forms included), planning from it, moving it.

The bookmark is ``exported_through``, the last local day of the last complete window, with
the ``window`` length and ``timezone`` it was cut in. ``replication_key_value`` keeps the
largest ``period_end`` emitted, for the SDK and for people reading the state, but it cannot
find the next window by itself: ``period_*`` are UTC dates, and west of UTC a local day ends
on the next UTC date. The bookmark moves once per window and never backwards: rows of
lookback windows are older than it by design.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from tap_langdock.errors import StateError
from tap_langdock.windows import Plan, Window, plan_windows, window_containing

if t.TYPE_CHECKING:
    import logging

    from tap_langdock.progress import Progress
    from tap_langdock.settings import Settings

REPLICATION_KEY = "period_end"


def exported_through(
    state: dict[str, t.Any], settings: Settings, stream: str, logger: logging.Logger
) -> dt.date | None:
    """The last local day this stream's state says is done; None for a first run."""
    if not state:
        return None
    through = state.get("exported_through")
    if through is None:
        return _from_period_end(state.get("replication_key_value"), settings, stream, logger)
    _check_same_cut(state, settings, stream)
    try:
        return dt.date.fromisoformat(str(through))
    except ValueError:
        msg = (
            f"{stream}: the state's exported_through {str(through)[:40]!r} is not a "
            "date; clear this stream's state and run again"
        )
        raise StateError(msg) from None


def _from_period_end(
    value: object, settings: Settings, stream: str, logger: logging.Logger
) -> dt.date | None:
    if not value:
        return None
    try:
        bookmark = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        msg = (
            f"{stream}: the state's bookmark {str(value)[:40]!r} is not a date; "
            "clear this stream's state (meltano state clear) and run again"
        )
        raise StateError(msg) from None
    # A bare period_end (state written by hand or by another tool) says only that the UTC
    # day is covered; start again at the local window holding it rather than risk skipping one.
    logger.warning(
        "%s: state has no window bookmark, only period_end %s; re-exporting from the "
        "window that contains it",
        stream,
        bookmark,
    )
    return window_containing(bookmark, settings.grain).start - dt.timedelta(days=1)


def _check_same_cut(state: dict[str, t.Any], settings: Settings, stream: str) -> None:
    grain, zone = state.get("window"), state.get("timezone")
    if grain != settings.grain.value:
        msg = (
            f"{stream}: the state was written with window={grain} but the setting is "
            f"window={settings.grain.value}; windows of another length would overlap rows "
            f"already loaded. Set window back to {grain}, or start a new state "
            "(meltano state clear, or another state id) and reload"
        )
        raise StateError(msg)
    if zone != settings.timezone:
        msg = (
            f"{stream}: the state was written with timezone={zone} but the setting is "
            f"timezone={settings.timezone}; local windows would overlap or leave gaps. Set "
            f"timezone back to {zone}, or start a new state (meltano state clear) and reload"
        )
        raise StateError(msg)


def last_exportable_day(settings: Settings, progress: Progress) -> dt.date:
    """``end_date``, or yesterday: a day that is not over yet is never bookmarked."""
    yesterday = settings.today() - dt.timedelta(days=1)
    end = settings.end_date or yesterday
    if end > yesterday:
        progress.warn_once(
            "end_date",
            "%s: end_date %s is not over yet in %s; exporting only through %s so an "
            "unfinished day is never bookmarked",
            progress.stream,
            end,
            settings.timezone,
            yesterday,
        )
        end = yesterday
    return end


def plan(state: dict[str, t.Any], settings: Settings, progress: Progress) -> Plan:
    """The windows this run exports, from settings and this stream's state."""
    return plan_windows(
        grain=settings.grain,
        start_date=settings.start_date,
        end_date=last_exportable_day(settings, progress),
        exported_through=exported_through(state, settings, progress.stream, progress.logger),
        lookback_windows=settings.lookback_windows,
    )


def advance(
    state: dict[str, t.Any], window: Window, period_end: str | None, settings: Settings
) -> None:
    """Record that ``window`` is done (never moving the bookmark backwards)."""
    previous = state.get("exported_through")
    if previous is None or window.end.isoformat() > str(previous):
        state["exported_through"] = window.end.isoformat()
    state["window"] = settings.grain.value
    state["timezone"] = settings.timezone
    if period_end is not None:
        current = state.get("replication_key_value")
        if current is None or period_end > str(current):
            state["replication_key"] = REPLICATION_KEY
            state["replication_key_value"] = period_end
