"""What a stream tells people while it runs: a line per window, warnings once, a summary.

The figures come from the exporter (`WindowStats`, one per window); this room only counts
and words them.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import typing as t
from dataclasses import dataclass

from tap_langdock.columns import EXTRA_COLUMNS
from tap_langdock.sizes import human_size

# How often a long backfill says how far it is, per stream.
BACKFILL_EVERY_SECONDS = 5.0

if t.TYPE_CHECKING:
    from tap_langdock.header import HeaderPlan
    from tap_langdock.windows import Plan, Window


@dataclass
class Counts:
    """Figures that add up per window and per stream."""

    rows: int = 0
    bytes: int = 0
    requests: int = 0
    retries: int = 0
    re_exports: int = 0


@dataclass
class WindowStats(Counts):
    """What one window cost, for the progress line."""

    record_count: int | None = None
    seconds: float = 0.0
    empty: bool = False


@dataclass
class StreamStats(Counts):
    """Totals for the end-of-stream summary."""

    windows: int = 0
    empty: int = 0
    lookback: int = 0

    def add(self, window: WindowStats) -> None:
        """Add one window's figures."""
        self.windows += 1
        self.empty += window.empty
        for name in (field.name for field in dataclasses.fields(Counts)):
            setattr(self, name, getattr(self, name) + getattr(window, name))


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def retries_word(count: int) -> str:
    """'retry' or 'retries', for a count in a progress line."""
    return "retry" if count == 1 else "retries"


class Progress:
    """The progress lines and one-time warnings of one stream."""

    def __init__(self, logger: logging.Logger, stream: str, timezone: str) -> None:
        self.logger = logger
        self.stream = stream
        self.timezone = timezone
        self._warned: set[str] = set()
        self._started = self._reported = time.monotonic()

    def where(self, window: Window) -> str:
        """The prefix that says which stream and window a line is about."""
        return f"{self.stream}, window {window} ({self.timezone})"

    def warn_once(self, key: str, message: str, *args: t.Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.logger.warning(message, *args)

    def nothing_to_do(self, plan: Plan) -> None:
        self.logger.info(
            "%s: nothing to export: every window through %s is done",
            self.stream,
            plan.resumed_after,
        )

    def start(self, plan: Plan, grain: str, parallel: int, per_minute: int) -> None:
        first, last = plan.windows[0], plan.windows[-1]
        self.logger.info(
            "%s: exporting %d %s window(s) %s..%s in %s%s",
            self.stream,
            len(plan.windows),
            grain,
            first.start,
            last.end,
            self.timezone,
            f" ({len(plan.lookback)} again for late data)" if plan.lookback else "",
        )
        if parallel > 1:
            self.logger.info(
                "%s: up to %d exports in flight (adapting to what Langdock sustains), at most "
                "%d export requests per minute",
                self.stream,
                parallel,
                per_minute,
            )
        self._started = time.monotonic()
        self._reported = self._started

    def window(self, window: Window, stats: WindowStats) -> None:
        if stats.empty:
            rows = "no data (HTTP 404)"
        else:
            expected = "?" if stats.record_count is None else str(stats.record_count)
            rows = f"{stats.rows} rows (recordCount {expected}), {human_size(stats.bytes)}"
        self.logger.info(
            "%s: %s, %d request(s), %d %s, %.2f s",
            self.where(window),
            rows,
            stats.requests,
            stats.retries,
            retries_word(stats.retries),
            stats.seconds,
        )

    def backfill(self, totals: StreamStats, planned: int, in_flight: int, limit: int) -> None:
        """Every `BACKFILL_EVERY_SECONDS` at most: windows done of planned, rows, speed, ETA."""
        now = time.monotonic()
        if totals.windows >= planned or now - self._reported < BACKFILL_EVERY_SECONDS:
            return
        self._reported = now
        elapsed = now - self._started
        left = elapsed / totals.windows * (planned - totals.windows) if totals.windows else 0
        self.logger.info(
            "%s: %d of %d windows done, %d rows so far, %d exports in flight (limit %d), "
            "about %s left",
            self.stream,
            totals.windows,
            planned,
            totals.rows,
            in_flight,
            limit,
            _duration(left),
        )

    def done(self, totals: StreamStats, seconds: float) -> None:
        self.logger.info(
            "%s: done: %d window(s) (%d empty, %d again for late data), %d rows, %s, "
            "%d request(s), %d %s, %d re-export(s), %.1f s",
            self.stream,
            totals.windows,
            totals.empty,
            totals.lookback,
            totals.rows,
            human_size(totals.bytes),
            totals.requests,
            totals.retries,
            retries_word(totals.retries),
            totals.re_exports,
            seconds,
        )

    def column_drift(self, header: HeaderPlan | None) -> None:
        """Warn once per column about columns Langdock added or left out."""
        if header is None:
            return
        new = [name for name, _ in header.extra if f"extra:{name}" not in self._warned]
        if new:
            self._warned.update(f"extra:{name}" for name in new)
            self.logger.warning(
                "%s: Langdock sent column(s) this tap does not know: %s; their values are kept "
                "as text in %s",
                self.stream,
                ", ".join(new),
                EXTRA_COLUMNS,
            )
        gone = [name for name in header.missing if f"missing:{name}" not in self._warned]
        if gone:
            self._warned.update(f"missing:{name}" for name in gone)
            self.logger.warning(
                "%s: column(s) missing from Langdock's file, loaded as null: %s (normal when "
                "user-level data is disabled or the workspace does not bring its own keys)",
                self.stream,
                ", ".join(gone),
            )
