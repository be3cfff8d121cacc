"""The Audit Logs API as data: the query of a page, and what every answer means. No I/O.

`classify` turns a status and body into one of four outcomes: a `Page`, a `Retry` (rate
limit, server trouble: wait and ask again), a `Malformed` answer (HTTP 200 that is not a
page: ask again a few times) or `Refused` (stop, with the one line that says what to do).
Messages name the stream and range (``where``) and the workspace id, Langdock's own error
text, never a key or header.
"""

from __future__ import annotations

import datetime as dt
import json
import typing as t
from dataclasses import dataclass

from tap_langdock.audit.ranges import Range
from tap_langdock.export.protocol import error_text
from tap_langdock.paging import RETRY_STATUSES, Malformed, Retry, format_instant

PAGE_LIMIT = 50


@dataclass(frozen=True)
class Page:
    """One page: its entries (still raw JSON objects) and the cursor of the next, if any."""

    entries: tuple[dict[str, t.Any], ...]
    next_cursor: str | None


@dataclass(frozen=True)
class Refused:
    """Stop: asking again cannot help. ``message`` is the whole error line."""

    message: str


Outcome = Page | Retry | Malformed | Refused


def page_query(window: Range, cursor: str | None, limit: int = PAGE_LIMIT) -> list[tuple[str, str]]:
    """Query parameters for one page of ``window`` (widened by the request margin)."""
    start, end = window.request_bounds()
    # Milliseconds are what Langdock shows; flooring `from` and ceiling `to` keeps the
    # request at least as wide as the range whatever precision the server reads.
    start -= dt.timedelta(microseconds=start.microsecond % 1000)
    end += dt.timedelta(microseconds=(1000 - end.microsecond % 1000) % 1000)
    query = [("from", format_instant(start)), ("to", format_instant(end)), ("limit", str(limit))]
    if cursor is not None:
        query.append(("cursor", cursor))
    return query


def classify(
    status: int,
    body: bytes | None,
    retry_after: float | None,
    *,
    where: str,
    workspace_id: str,
) -> Outcome:
    """What an answer means. ``body`` is None when it was larger than the tap reads."""
    if status == 200:
        if body is None:
            return Malformed("Langdock's answer is larger than the tap reads for one page")
        return parse_page(body)
    problem = error_text(body)
    if status in RETRY_STATUSES or status >= 500:
        return Retry(f"HTTP {status} from Langdock{problem}", retry_after)
    fix = _FIXES.get(status)
    if fix is None:
        return Refused(f"{where}: unexpected HTTP {status} from Langdock{problem}")
    return Refused(f"{where}: " + fix.format(problem=problem, workspace=workspace_id))


# What a refusal means and what to do, per status.
_FIXES = {
    401: (
        "Langdock rejected the audit-log key (HTTP 401{problem}): check audit_log_api_key, or "
        "api_key when audit_log_api_key is not set"
    ),
    403: (
        "Langdock refused the audit log of workspace {workspace} (HTTP 403{problem}): either "
        "the key lacks the AUDIT_LOG_API scope (a workspace admin creates a key with it; set it "
        "as audit_log_api_key) or workspace_id is not the key's workspace (check workspace_id)"
    ),
    404: (
        "HTTP 404 from /audit-logs/{workspace}{problem}: check api_url (cloud: "
        "https://api.langdock.com; dedicated deployments: https://<host>/api/public) and "
        "workspace_id"
    ),
    400: (
        "Langdock refused the request (HTTP 400{problem}): check workspace_id, start_date and "
        "end_date; if they are right, report this line to Langdock"
    ),
}


def parse_page(body: bytes) -> Page | Malformed:
    """A page from a 200 answer's body, or what is wrong with it."""
    try:
        document = json.loads(body)
    except ValueError:
        return Malformed("Langdock answered HTTP 200 with a body that is not JSON")
    if not isinstance(document, dict):
        return Malformed("Langdock answered HTTP 200 with JSON that is not an object")
    data = document.get("data")
    if not isinstance(data, list):
        return Malformed("Langdock's answer has no data list")
    if not all(isinstance(entry, dict) for entry in data):
        return Malformed("Langdock's answer has data items that are not objects")
    cursor = _next_cursor(document)
    if isinstance(cursor, Malformed):
        return cursor
    return Page(tuple(data), cursor)


def _next_cursor(document: dict[str, t.Any]) -> str | Malformed | None:
    # A missing cursor is not taken as "last page": were it renamed, every range would
    # silently end after its first page.
    key = next((k for k in ("next_cursor", "nextCursor") if k in document), None)
    if key is None:
        return Malformed("Langdock's answer has no next_cursor")
    cursor = document[key]
    if isinstance(cursor, int) and not isinstance(cursor, bool):
        cursor = str(cursor)
    if cursor is not None and not isinstance(cursor, str):
        return Malformed(f"Langdock's next_cursor is a {type(cursor).__name__}, not text")
    return cursor or None
