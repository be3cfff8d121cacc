"""Reading the audit log: one range, page after page, with retries.

The HTTP itself is `audit.transport`'s (passed in as an `AuditApi`); this module decides what
an answer means and what to do next. Before every request the reader takes a slot from the
rate limiter the caller passes in, and every range gets the whole retry budget
(``max_retry_seconds``), as every export window does. Messages say what failed and where;
they never hold the key, a header or an exception's text (which may hold the URL).
"""

from __future__ import annotations

import logging
import typing as t
import urllib.parse
from dataclasses import dataclass

from tap_langdock import retries
from tap_langdock.audit.protocol import Malformed, Page, Refused, Retry, classify, page_query
from tap_langdock.audit.ranges import Range
from tap_langdock.audit.transport import NoAnswer
from tap_langdock.errors import AuditLogError

if t.TYPE_CHECKING:
    from tap_langdock.audit.transport import AuditApi, PageReply

MAX_MALFORMED = 3
MAX_UNREACHABLE_AT_START = 3


@dataclass
class RangeStats:
    """What one range cost, for its progress line."""

    entries: int = 0
    outside: int = 0
    """Entries Langdock sent from beyond the range (the request margin, inclusive bounds)."""
    repeated: int = 0
    """Entries sent twice within the range (pages shifting under new entries)."""
    pages: int = 0
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0


@dataclass
class _Attempts:
    """What went wrong while reading one range (one retry budget per range)."""

    budget: retries.RetryBudget
    malformed: int = 0
    unreachable: int = 0


class PageReader:
    """Reads ranges of one workspace's audit log."""

    def __init__(
        self,
        *,
        api: AuditApi,
        workspace_id: str,
        take_slot: t.Callable[[], object],
        retry_seconds: float,
        logger: logging.Logger,
    ) -> None:
        self._api = api
        self._workspace_id = workspace_id
        self._take_slot = take_slot
        self._retry_seconds = retry_seconds
        self._logger = logger
        self._answered = False
        """Whether Langdock answered anything yet: a wrong api_url never does."""

    def pages(self, window: Range, where: str, stats: RangeStats) -> t.Iterator[Page]:
        """Every page of ``window``, following ``next_cursor`` until it is null."""
        attempts = _Attempts(retries.RetryBudget(self._retry_seconds))
        cursor: str | None = None
        used: set[str] = set()
        while True:
            page = self._page(window, cursor, where, stats, attempts)
            stats.pages += 1
            yield page
            if page.next_cursor is None:
                return
            if page.next_cursor in used:
                msg = (
                    f"{where}: Langdock sent next_cursor {page.next_cursor[:60]!r} a second "
                    "time, so paging would never end; the bookmark stays before this range: "
                    "report this line to Langdock"
                )
                raise AuditLogError(msg)
            used.add(page.next_cursor)
            cursor = page.next_cursor

    def _page(
        self,
        window: Range,
        cursor: str | None,
        where: str,
        stats: RangeStats,
        attempts: _Attempts,
    ) -> Page:
        query = page_query(window, cursor)
        attempts.malformed = 0  # counted per page: a bad answer once a page is no pattern
        while True:
            reply = self._get(query, stats)
            if isinstance(reply, NoAnswer):
                self._unreachable_or_go_on(reply, where, attempts)
                self._wait_or_fail(where, stats, attempts.budget, reply.reason, None)
                continue
            outcome = classify(
                reply.status,
                reply.body,
                reply.retry_after,
                where=where,
                workspace_id=self._workspace_id,
            )
            if isinstance(outcome, Page):
                return outcome
            if isinstance(outcome, Refused):
                raise AuditLogError(outcome.message)
            if isinstance(outcome, Retry):
                budget, after = attempts.budget, outcome.retry_after
                self._wait_or_fail(where, stats, budget, outcome.reason, after)
                continue
            self._malformed(where, stats, attempts, outcome)

    def _malformed(
        self, where: str, stats: RangeStats, attempts: _Attempts, outcome: Malformed
    ) -> None:
        attempts.malformed += 1
        if attempts.malformed > MAX_MALFORMED:
            msg = (
                f"{where}: {outcome.reason} (still after {attempts.malformed} requests); the "
                "bookmark stays before this range. If it persists, report this line to Langdock"
            )
            raise AuditLogError(msg)
        self._wait_or_fail(where, stats, attempts.budget, outcome.reason, None)

    def _unreachable_or_go_on(self, reply: NoAnswer, where: str, attempts: _Attempts) -> None:
        if not reply.never_connected or self._answered:
            return
        attempts.unreachable += 1
        if attempts.unreachable >= MAX_UNREACHABLE_AT_START:
            host = urllib.parse.urlsplit(self._api.url).netloc
            msg = (
                f"{where}: cannot connect to {host} ({attempts.unreachable} attempts): check "
                "api_url and that this machine can reach it"
            )
            raise AuditLogError(msg)

    def _wait_or_fail(
        self,
        where: str,
        stats: RangeStats,
        budget: retries.RetryBudget,
        reason: str,
        retry_after: float | None,
    ) -> None:
        remaining = budget.remaining()
        delay = budget.wait(retry_after)
        if delay is None:
            msg = (
                f"{where}: {reason}; gave up after {stats.requests} request(s) because the "
                f"retry budget (max_retry_seconds={self._retry_seconds:.0f}) ran out. The "
                "bookmark stays at the end of the last complete range: run again later to "
                "continue from this range"
            )
            raise AuditLogError(msg)
        stats.retries += 1
        self._logger.warning(
            "%s: %s; retrying in %.1f s (retry %d, %.0f s of retry budget left)",
            where,
            reason,
            delay,
            stats.retries,
            max(remaining - delay, 0),
        )

    def _get(self, query: list[tuple[str, str]], stats: RangeStats) -> PageReply | NoAnswer:
        self._take_slot()
        stats.requests += 1
        reply = self._api.get_page(query)
        if not isinstance(reply, NoAnswer):
            self._answered = True
        return reply
