"""The Workflow API as data: the query of a page, and what every answer means. No I/O.

`classify` turns a status and body into a `Page`, a `Retry` (rate limit, server trouble),
a `Malformed` answer (HTTP 200 that is not a page), `TooLarge` (ask again for fewer items)
or `Refused` (stop, with the one line that says what to do). Messages name the stream and
the workflow (``where``) and Langdock's own error text, never a key or header.

Paging is read defensively, since no schema is published: the next cursor may be called
``nextCursor`` or ``next_cursor``, a ``hasMore``/``has_more`` flag may say whether there is
more, and the cursor may be absent on the last page. A full page without any sign of a next
one is malformed rather than taken as the end, so a renamed cursor cannot silently cut a
workflow's history after its first page.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import typing as t
from dataclasses import dataclass

from tap_langdock.export.protocol import error_text
from tap_langdock.paging import RETRY_STATUSES, Malformed, Retry, format_instant

LIST_LIMIT = 100
RUNS_LIMIT = 100
NEXT_KEYS = ("nextCursor", "next_cursor")
MORE_KEYS = ("hasMore", "has_more")


class Kind(enum.Enum):
    """Which list a page belongs to: its items' key and what a refusal means."""

    WORKFLOWS = "workflows"
    RUNS = "runs"


@dataclass(frozen=True)
class Page:
    """One page: its items (raw JSON objects) and the cursor of the next, if any."""

    items: tuple[dict[str, t.Any], ...]
    next_cursor: str | None


@dataclass(frozen=True)
class TooLarge:
    """The page is larger than the tap reads at once: ask for fewer items."""


@dataclass(frozen=True)
class Refused:
    """Stop. ``status`` lets the stream tell a workflow it may skip (403, 404) from the rest."""

    status: int
    message: str


Outcome = Page | Retry | Malformed | TooLarge | Refused


def list_query(cursor: str | None, limit: int = LIST_LIMIT) -> list[tuple[str, str]]:
    """Query parameters of one page of ``/workflows/v1/list``."""
    query = [("limit", str(limit))]
    if cursor is not None:
        query.append(("cursor", cursor))
    return query


def runs_query(
    workflow_id: str,
    start: dt.datetime,
    end: dt.datetime,
    cursor: str | None,
    limit: int = RUNS_LIMIT,
) -> list[tuple[str, str]]:
    """Query parameters of one page of ``/workflows/v1/runs`` for runs created in [start, end].

    ``from`` is floored and ``to`` ceiled to the millisecond, so the request is at least as
    wide as the range whatever precision the server reads; the tap filters exactly.
    """
    start -= dt.timedelta(microseconds=start.microsecond % 1000)
    end += dt.timedelta(microseconds=(1000 - end.microsecond % 1000) % 1000)
    query = [
        ("workflowId", workflow_id),
        ("from", format_instant(start)),
        ("to", format_instant(end)),
        ("limit", str(limit)),
    ]
    if cursor is not None:
        query.append(("cursor", cursor))
    return query


def classify(
    status: int,
    body: bytes | None,
    retry_after: float | None,
    *,
    kind: Kind,
    where: str,
    limit: int,
) -> Outcome:
    """What an answer means. ``body`` is None when it was larger than the tap reads."""
    if status == 200:
        if body is None:
            return TooLarge()
        return parse_page(body, kind, limit)
    problem = error_text(body)
    if status in RETRY_STATUSES or status >= 500:
        return Retry(f"HTTP {status} from Langdock{problem}", retry_after)
    fix = _FIXES[kind].get(status)
    if fix is None:
        return Refused(status, f"{where}: unexpected HTTP {status} from Langdock{problem}")
    return Refused(status, f"{where}: " + fix.format(problem=problem))


_KEY = (
    "Langdock rejected the workflow key (HTTP 401{problem}): check workflow_api_key, or "
    "api_key when workflow_api_key is not set"
)
_FIXES: dict[Kind, dict[int, str]] = {
    Kind.WORKFLOWS: {
        401: _KEY,
        403: (
            "Langdock refused the list of workflows (HTTP 403{problem}): the key needs the "
            "WORKFLOW_API scope (a workspace admin creates a workspace key with it; set it as "
            "workflow_api_key)"
        ),
        404: (
            "HTTP 404 from /workflows/v1/list{problem}: check api_url (cloud: "
            "https://api.langdock.com; dedicated deployments: https://<host>/api/public)"
        ),
        400: "Langdock refused the request (HTTP 400{problem}): report this line to Langdock",
    },
    Kind.RUNS: {
        401: _KEY,
        403: (
            "Langdock refused this workflow's runs (HTTP 403{problem}): the key's user needs "
            "owner or editor access to it (workspace admins have it without a share)"
        ),
        404: "Langdock no longer knows this workflow (HTTP 404{problem}): it was deleted",
        400: (
            "Langdock refused the request (HTTP 400{problem}): check start_date; if it is "
            "right, report this line to Langdock"
        ),
    },
}


def loads(body: bytes) -> object:
    """JSON as Langdock sends it: raw control characters inside strings are tolerated, as
    third-party clients report Langdock sends them (``strict=False``)."""
    return json.loads(body.decode("utf-8"), strict=False)


def parse_page(body: bytes, kind: Kind, limit: int) -> Page | Malformed:
    """A page from a 200 answer's body, or what is wrong with it."""
    try:
        document = loads(body)
    except ValueError:
        return Malformed("Langdock answered HTTP 200 with a body that is not JSON")
    if not isinstance(document, dict):
        return Malformed("Langdock answered HTTP 200 with JSON that is not an object")
    items = next((document[key] for key in (kind.value, "data", "items") if key in document), None)
    if not isinstance(items, list):
        return Malformed(f"Langdock's answer has no {kind.value} list")
    if not all(isinstance(item, dict) for item in items):
        return Malformed(f"Langdock's answer has {kind.value} items that are not objects")
    cursor = next_cursor(document, len(items), limit)
    if isinstance(cursor, Malformed):
        return cursor
    return Page(tuple(items), cursor)


def next_cursor(document: dict[str, t.Any], count: int, limit: int) -> str | Malformed | None:
    """The cursor of the next page, None on the last page, or why that cannot be told."""
    key = next((k for k in NEXT_KEYS if k in document), None)
    cursor = document.get(key) if key is not None else None
    if isinstance(cursor, int) and not isinstance(cursor, bool):
        cursor = str(cursor)
    if cursor is not None and not isinstance(cursor, str):
        return Malformed(f"Langdock's {key} is a {type(cursor).__name__}, not text")
    cursor = cursor or None
    more_key = next((k for k in MORE_KEYS if k in document), None)
    if more_key is not None:
        return _more(document[more_key], more_key, cursor)
    if cursor is None and key is None and count >= limit:
        return Malformed("Langdock's answer is a full page without a next cursor")
    return cursor


def _more(more: object, key: str, cursor: str | None) -> str | Malformed | None:
    if not isinstance(more, bool):
        return Malformed(f"Langdock's {key} is not true or false")
    if more and cursor is None:
        return Malformed(f"Langdock's answer says {key} but has no next cursor")
    return cursor if more else None
