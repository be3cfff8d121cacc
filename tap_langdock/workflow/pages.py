"""Pages of a Workflow API list, with retries, under the run's limits.

The HTTP itself is `workflow.transport`'s; this room sees `PageReply` and `NoAnswer` only.
Before every request the reader takes a slot from the run's rate limiter and checks that
the run is not stopping; every list (the workflows, one workflow's runs) gets the whole
retry budget (``max_retry_seconds``). A page larger than the tap reads at once is asked
again with half the items, down to one. Messages say what failed and where; they never hold
the key, a header or an exception's text (which may hold the URL).
"""

from __future__ import annotations

import logging
import typing as t
from dataclasses import dataclass

from tap_langdock.errors import WorkflowApiError, WorkflowKeyRejected
from tap_langdock.paging import Attempts, ListRetries, Retry, Wording
from tap_langdock.sizes import human_size
from tap_langdock.workflow.protocol import (
    Kind,
    Page,
    Refused,
    TooLarge,
    classify,
)
from tap_langdock.workflow.transport import MAX_PAGE_BYTES, NoAnswer, WorkflowHttp

WORDING = Wording(
    WorkflowApiError,
    kept="the state stays before this list",
    resume="The state stays before this list: run again later to continue",
)
Query = t.Callable[[str | None, int], list[tuple[str, str]]]
"""The query of a page from its cursor and item limit."""


class Skipped(WorkflowApiError):
    """Langdock refused one workflow's runs (403) or no longer knows it (404): skip it."""


@dataclass(frozen=True)
class ListRequest:
    """One list to read: its path, kind, the query of a page, its first limit, where."""

    path: str
    kind: Kind
    query: Query
    limit: int
    where: str


@dataclass
class ListStats:
    """What one list cost, for its progress line."""

    items: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0


class _Transient(Exception):
    def __init__(self, reason: str, *, never_connected: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.never_connected = never_connected


@dataclass(frozen=True)
class Hooks:
    """What the reader takes from the run: a request slot, and whether to stop."""

    take_slot: t.Callable[[], object]
    raise_if_stopping: t.Callable[[], None]
    answered: t.Callable[[], None]
    was_answered: t.Callable[[], bool]


class PageReader:
    """Reads cursor-paged lists of the Workflow API."""

    def __init__(
        self,
        *,
        http: WorkflowHttp,
        hooks: Hooks,
        retry_seconds: float,
        logger: logging.Logger,
    ) -> None:
        self._http = http
        self._hooks = hooks
        self._logger = logger
        self._retries = ListRetries(
            wording=WORDING, api_url=http.api_url, retry_seconds=retry_seconds, logger=logger
        )

    def pages(self, request: ListRequest, stats: ListStats) -> t.Iterator[Page]:
        """Every page of one list, following the next cursor until there is none."""
        where, limit = request.where, request.limit
        attempts = self._retries.attempts()
        cursor: str | None = None
        used: set[str] = set()
        while True:
            page, limit = self._page(request, cursor, limit, stats, attempts)
            stats.pages += 1
            stats.items += len(page.items)
            yield page
            if page.next_cursor is None:
                return
            self._retries.check_cursor(where, page.next_cursor, used)
            cursor = page.next_cursor

    def _page(
        self,
        request: ListRequest,
        cursor: str | None,
        limit: int,
        stats: ListStats,
        attempts: Attempts,
    ) -> tuple[Page, int]:
        where, kind = request.where, request.kind
        attempts.malformed = 0  # counted per page: a bad answer once a page is no pattern
        while True:
            try:
                status, body, retry_after = self._get(
                    request.path, request.query(cursor, limit), stats
                )
            except _Transient as exc:
                answered = self._hooks.was_answered()
                self._retries.unreachable(
                    where, attempts, never_connected=exc.never_connected, answered=answered
                )
                self._retries.wait_or_fail(where, stats, attempts.budget, exc.reason, None)
                continue
            outcome = classify(status, body, retry_after, kind=kind, where=where, limit=limit)
            if isinstance(outcome, Page):
                return outcome, limit
            if isinstance(outcome, TooLarge):
                limit = self._smaller(limit, where)
            elif isinstance(outcome, Refused):
                raise _refusal(outcome, kind)
            elif isinstance(outcome, Retry):
                budget, after = attempts.budget, outcome.retry_after
                self._retries.wait_or_fail(where, stats, budget, outcome.reason, after)
            else:
                self._retries.malformed(where, stats, attempts, outcome.reason)

    def _smaller(self, limit: int, where: str) -> int:
        if limit <= 1:
            msg = (
                f"{where}: one item is larger than the {human_size(MAX_PAGE_BYTES)} the tap "
                "reads at once; the state stays before this list. Set workflow_run_payloads "
                "to false, or report this line"
            )
            raise WorkflowApiError(msg)
        self._logger.info(
            "%s: a page of %d is over %s; asking for %d at a time",
            where,
            limit,
            human_size(MAX_PAGE_BYTES),
            limit // 2,
        )
        return limit // 2

    def _get(
        self, path: str, query: list[tuple[str, str]], stats: ListStats
    ) -> tuple[int, bytes | None, float | None]:
        self._hooks.raise_if_stopping()
        self._hooks.take_slot()
        stats.requests += 1
        reply = self._http.get(path, query)
        if isinstance(reply, NoAnswer):
            raise _Transient(reply.reason, never_connected=reply.never_connected)
        self._hooks.answered()
        return reply.status, reply.body, reply.retry_after


def _refusal(outcome: Refused, kind: Kind) -> WorkflowApiError:
    if outcome.status == 401:
        return WorkflowKeyRejected(outcome.message)
    if kind is Kind.RUNS and outcome.status in (403, 404):
        return Skipped(outcome.message)
    return WorkflowApiError(outcome.message)
