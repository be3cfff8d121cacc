"""What the two cursor-paged JSON APIs (audit log, Workflow API) share: their transient
outcomes, their time format, and how a reader retries one list within its budget.

Each API's reader keeps what differs: its queries, what a refusal means, its error class and
what its state keeps when it stops (``Wording``). The lines it raises are the same shape for
both, so a user who has read one knows the other.
"""

from __future__ import annotations

import datetime as dt
import logging
import typing as t
import urllib.parse
from dataclasses import dataclass

from tap_langdock import retries

UTC = dt.timezone.utc
RETRY_STATUSES = frozenset({408, 425, 429})
MAX_MALFORMED = 3
"""Bad 200 answers in a row for one page before the list fails."""
MAX_UNREACHABLE_AT_START = 3
"""Failed connections before anything was answered: a wrong api_url, not a hiccup."""


@dataclass(frozen=True)
class Retry:
    """Worth asking again after a wait (``retry_after`` from Langdock, when it said)."""

    reason: str
    retry_after: float | None = None


@dataclass(frozen=True)
class Malformed:
    """HTTP 200 with something that is not a page."""

    reason: str


def format_instant(instant: dt.datetime) -> str:
    """``2026-05-04T09:12:33.120Z``: always with a zone, since a zone-less time may be read in
    the server's local time."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class Counted(t.Protocol):
    """A list's statistics, as far as retrying reads and writes them."""

    requests: int
    retries: int


@dataclass(frozen=True)
class Wording:
    """What one API's failures raise, and what its state keeps when a list fails."""

    error: type[Exception]
    kept: str
    """E.g. "the bookmark stays before this range"."""
    resume: str
    """The end of the line when the retry budget ran out: where the next run continues."""


@dataclass
class Attempts:
    """What went wrong while reading one list (one retry budget per list)."""

    budget: retries.RetryBudget
    malformed: int = 0
    unreachable: int = 0


class ListRetries:
    """Retries of one reader: waits within the budget, or the one line that stops it."""

    def __init__(
        self,
        *,
        wording: Wording,
        api_url: str,
        retry_seconds: float,
        logger: logging.Logger,
    ) -> None:
        self._wording = wording
        self._host = urllib.parse.urlsplit(api_url).netloc
        self.retry_seconds = retry_seconds
        self._logger = logger

    def attempts(self) -> Attempts:
        """A fresh budget for the next list."""
        return Attempts(retries.RetryBudget(self.retry_seconds))

    def check_cursor(self, where: str, cursor: str, used: set[str]) -> None:
        """Fail on a cursor sent before: paging would never end."""
        if cursor in used:
            msg = (
                f"{where}: Langdock sent the cursor {cursor[:60]!r} a second time, so paging "
                f"would never end; {self._wording.kept}: report this line to Langdock"
            )
            raise self._wording.error(msg)
        used.add(cursor)

    def malformed(self, where: str, stats: Counted, attempts: Attempts, reason: str) -> None:
        """Ask again after a bad 200 answer, a few times per page."""
        attempts.malformed += 1
        if attempts.malformed > MAX_MALFORMED:
            msg = (
                f"{where}: {reason} (still after {attempts.malformed} requests); "
                f"{self._wording.kept}. If it persists, report this line to Langdock"
            )
            raise self._wording.error(msg)
        self.wait_or_fail(where, stats, attempts.budget, reason, None)

    def unreachable(
        self, where: str, attempts: Attempts, *, never_connected: bool, answered: bool
    ) -> None:
        """Fail early when Langdock was never reached (a wrong api_url), else go on."""
        if not never_connected or answered:
            return
        attempts.unreachable += 1
        if attempts.unreachable >= MAX_UNREACHABLE_AT_START:
            msg = (
                f"{where}: cannot connect to {self._host} ({attempts.unreachable} attempts): "
                "check api_url and that this machine can reach it"
            )
            raise self._wording.error(msg)

    def wait_or_fail(
        self,
        where: str,
        stats: Counted,
        budget: retries.RetryBudget,
        reason: str,
        retry_after: float | None,
    ) -> None:
        """Wait before the next attempt, or fail once the budget cannot cover the wait."""
        remaining = budget.remaining()
        delay = budget.wait(retry_after)
        if delay is None:
            msg = (
                f"{where}: {reason}; gave up after {stats.requests} request(s) because the "
                f"retry budget (max_retry_seconds={self.retry_seconds:.0f}) ran out. "
                f"{self._wording.resume}"
            )
            raise self._wording.error(msg)
        stats.retries += 1
        self._logger.warning(
            "%s: %s; retrying in %.1f s (retry %d, %.0f s of retry budget left)",
            where,
            reason,
            delay,
            stats.retries,
            max(remaining - delay, 0),
        )
