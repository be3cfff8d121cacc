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
import urllib.parse
from dataclasses import dataclass

from tap_langdock import retries
from tap_langdock.errors import WorkflowApiError, WorkflowKeyRejected
from tap_langdock.sizes import human_size
from tap_langdock.workflow.protocol import (
    Kind,
    Malformed,
    Page,
    Refused,
    Retry,
    TooLarge,
    classify,
)
from tap_langdock.workflow.transport import MAX_PAGE_BYTES, NoAnswer, WorkflowHttp

MAX_MALFORMED = 3
MAX_UNREACHABLE_AT_START = 3

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


@dataclass
class _Attempts:
    budget: retries.RetryBudget
    malformed: int = 0
    unreachable: int = 0


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
        self._retry_seconds = retry_seconds
        self._logger = logger

    def pages(self, request: ListRequest, stats: ListStats) -> t.Iterator[Page]:
        """Every page of one list, following the next cursor until there is none."""
        where, limit = request.where, request.limit
        attempts = _Attempts(retries.RetryBudget(self._retry_seconds))
        cursor: str | None = None
        used: set[str] = set()
        while True:
            page, limit = self._page(request, cursor, limit, stats, attempts)
            stats.pages += 1
            stats.items += len(page.items)
            yield page
            if page.next_cursor is None:
                return
            if page.next_cursor in used:
                msg = (
                    f"{where}: Langdock sent the cursor {page.next_cursor[:60]!r} a second "
                    "time, so paging would never end; the state stays before this list: "
                    "report this line to Langdock"
                )
                raise WorkflowApiError(msg)
            used.add(page.next_cursor)
            cursor = page.next_cursor

    def _page(
        self,
        request: ListRequest,
        cursor: str | None,
        limit: int,
        stats: ListStats,
        attempts: _Attempts,
    ) -> tuple[Page, int]:
        where, kind = request.where, request.kind
        attempts.malformed = 0  # counted per page: a bad answer once a page is no pattern
        while True:
            try:
                status, body, retry_after = self._get(
                    request.path, request.query(cursor, limit), stats
                )
            except _Transient as exc:
                self._unreachable_or_go_on(exc, where, attempts)
                self._wait_or_fail(where, stats, attempts.budget, exc.reason, None)
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
                self._wait_or_fail(where, stats, budget, outcome.reason, after)
            else:
                self._malformed(where, stats, attempts, outcome)

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

    def _malformed(
        self, where: str, stats: ListStats, attempts: _Attempts, outcome: Malformed
    ) -> None:
        attempts.malformed += 1
        if attempts.malformed > MAX_MALFORMED:
            msg = (
                f"{where}: {outcome.reason} (still after {attempts.malformed} requests); the "
                "state stays before this list. If it persists, report this line to Langdock"
            )
            raise WorkflowApiError(msg)
        self._wait_or_fail(where, stats, attempts.budget, outcome.reason, None)

    def _unreachable_or_go_on(self, exc: _Transient, where: str, attempts: _Attempts) -> None:
        if not exc.never_connected or self._hooks.was_answered():
            return
        attempts.unreachable += 1
        if attempts.unreachable >= MAX_UNREACHABLE_AT_START:
            host = urllib.parse.urlsplit(self._http.api_url).netloc
            msg = (
                f"{where}: cannot connect to {host} ({attempts.unreachable} attempts): check "
                "api_url and that this machine can reach it"
            )
            raise WorkflowApiError(msg)

    def _wait_or_fail(
        self,
        where: str,
        stats: ListStats,
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
                "state stays before this list: run again later to continue"
            )
            raise WorkflowApiError(msg)
        stats.retries += 1
        self._logger.warning(
            "%s: %s; retrying in %.1f s (retry %d, %.0f s of retry budget left)",
            where,
            reason,
            delay,
            stats.retries,
            max(remaining - delay, 0),
        )

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
