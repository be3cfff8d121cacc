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
from dataclasses import dataclass

from tap_langdock.audit.protocol import Page, Refused, classify, page_query
from tap_langdock.audit.ranges import Range
from tap_langdock.audit.transport import NoAnswer
from tap_langdock.errors import AuditLogError
from tap_langdock.paging import Attempts, ListRetries, Retry, Wording

if t.TYPE_CHECKING:
    from tap_langdock.audit.transport import AuditApi, PageReply

WORDING = Wording(
    AuditLogError,
    kept="the bookmark stays before this range",
    resume=(
        "The bookmark stays at the end of the last complete range: run again later to "
        "continue from this range"
    ),
)


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
        self._retries = ListRetries(
            wording=WORDING, api_url=api.url, retry_seconds=retry_seconds, logger=logger
        )
        self._answered = False
        """Whether Langdock answered anything yet: a wrong api_url never does."""

    def pages(self, window: Range, where: str, stats: RangeStats) -> t.Iterator[Page]:
        """Every page of ``window``, following ``next_cursor`` until it is null."""
        attempts = self._retries.attempts()
        cursor: str | None = None
        used: set[str] = set()
        while True:
            page = self._page(window, cursor, where, stats, attempts)
            stats.pages += 1
            yield page
            if page.next_cursor is None:
                return
            self._retries.check_cursor(where, page.next_cursor, used)
            cursor = page.next_cursor

    def _page(
        self,
        window: Range,
        cursor: str | None,
        where: str,
        stats: RangeStats,
        attempts: Attempts,
    ) -> Page:
        query = page_query(window, cursor)
        attempts.malformed = 0  # counted per page: a bad answer once a page is no pattern
        while True:
            reply = self._get(query, stats)
            if isinstance(reply, NoAnswer):
                self._retries.unreachable(
                    where, attempts, never_connected=reply.never_connected, answered=self._answered
                )
                self._retries.wait_or_fail(where, stats, attempts.budget, reply.reason, None)
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
                self._retries.wait_or_fail(where, stats, budget, outcome.reason, after)
                continue
            self._retries.malformed(where, stats, attempts, outcome.reason)

    def _get(self, query: list[tuple[str, str]], stats: RangeStats) -> PageReply | NoAnswer:
        self._take_slot()
        stats.requests += 1
        reply = self._api.get_page(query)
        if not isinstance(reply, NoAnswer):
            self._answered = True
        return reply
