"""What every answer of the Audit Logs API means, and the query of a page (no I/O)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tap_langdock.audit.protocol import (
    Page,
    Refused,
    classify,
    page_query,
    parse_page,
)
from tap_langdock.audit.ranges import Range
from tap_langdock.export.protocol import error_text
from tap_langdock.paging import Malformed, Retry, format_instant

UTC = dt.timezone.utc
WHERE = "audit_logs, range 2026-06-14T00:00:00Z..2026-06-15T00:00:00Z"
WS = "ws-123"


def _body(payload: object) -> bytes:
    return json.dumps(payload).encode()


ERROR = _body({"error": "Forbidden", "message": "API key lacks the AUDIT_LOG_API scope"})

REFUSALS = [
    (
        401,
        _body({"error": "Unauthorized", "message": "Invalid or missing API key"}),
        f"{WHERE}: Langdock rejected the audit-log key (HTTP 401: Unauthorized: Invalid or "
        "missing API key): check audit_log_api_key, or api_key when audit_log_api_key is not set",
    ),
    (
        403,
        ERROR,
        f"{WHERE}: Langdock refused the audit log of workspace ws-123 (HTTP 403: Forbidden: API "
        "key lacks the AUDIT_LOG_API scope): either the key lacks the AUDIT_LOG_API scope (a "
        "workspace admin creates a key with it; set it as audit_log_api_key) or workspace_id is "
        "not the key's workspace (check workspace_id)",
    ),
    (
        404,
        b"<html>Not Found</html>",
        f"{WHERE}: HTTP 404 from /audit-logs/ws-123: check api_url (cloud: "
        "https://api.langdock.com; dedicated deployments: https://<host>/api/public) and "
        "workspace_id",
    ),
    (
        400,
        _body({"error": "Bad Request", "message": "limit must be an integer between 1 and 50"}),
        f"{WHERE}: Langdock refused the request (HTTP 400: Bad Request: limit must be an "
        "integer between 1 and 50): check workspace_id, start_date and end_date; if they are "
        "right, report this line to Langdock",
    ),
    (418, b"", f"{WHERE}: unexpected HTTP 418 from Langdock"),
]


@pytest.mark.parametrize(("status", "body", "line"), REFUSALS)
def test_refusals_are_one_line_that_says_what_to_do(status: int, body: bytes, line: str) -> None:
    assert classify(status, body, None, where=WHERE, workspace_id=WS) == Refused(line)
    assert "\n" not in line


RETRIES = [
    (429, _body({"error": "Too Many Requests", "message": "slow down"}), 30.0),
    (500, _body({"error": "Internal Server Error", "message": "Something went wrong"}), None),
    (502, b"<html><h1>Bad Gateway</h1></html>", None),
    (503, b"", 5.0),
    (408, b"", None),
    (425, b"", None),
]


@pytest.mark.parametrize(("status", "body", "retry_after"), RETRIES)
def test_rate_limits_and_server_trouble_are_retried_with_retry_after(
    status: int, body: bytes, retry_after: float | None
) -> None:
    outcome = classify(status, body, retry_after, where=WHERE, workspace_id=WS)
    assert isinstance(outcome, Retry)
    assert outcome.retry_after == retry_after
    assert outcome.reason.startswith(f"HTTP {status} from Langdock")


def test_retry_reasons_carry_langdocks_message() -> None:
    body = _body({"error": "Too Many Requests", "message": "Rate limit exceeded"})
    outcome = classify(429, body, None, where=WHERE, workspace_id=WS)
    assert outcome == Retry("HTTP 429 from Langdock: Too Many Requests: Rate limit exceeded")


ENTRY = {"id": "al_1", "created_at": "2026-06-14T09:12:33.120Z"}
PAGES = [
    ({"data": [ENTRY], "next_cursor": "al_1"}, Page((ENTRY,), "al_1")),
    ({"data": [ENTRY], "next_cursor": None}, Page((ENTRY,), None)),
    ({"data": [], "next_cursor": None}, Page((), None)),
    ({"data": [ENTRY], "nextCursor": "c2"}, Page((ENTRY,), "c2")),
    ({"data": [ENTRY], "next_cursor": ""}, Page((ENTRY,), None)),
    ({"data": [ENTRY], "next_cursor": 51}, Page((ENTRY,), "51")),
    ({"data": [ENTRY], "next_cursor": None, "total": 1}, Page((ENTRY,), None)),
]


@pytest.mark.parametrize(("payload", "page"), PAGES)
def test_pages(payload: object, page: Page) -> None:
    assert classify(200, _body(payload), None, where=WHERE, workspace_id=WS) == page


MALFORMED = [
    (b"<html>maintenance</html>", "Langdock answered HTTP 200 with a body that is not JSON"),
    (_body([ENTRY]), "Langdock answered HTTP 200 with JSON that is not an object"),
    (_body({"entries": [ENTRY], "next_cursor": None}), "Langdock's answer has no data list"),
    (_body({"data": [1], "next_cursor": None}), "Langdock's answer has data items that are not"),
    (_body({"data": [ENTRY]}), "Langdock's answer has no next_cursor"),
    (_body({"data": [], "next_cursor": {"a": 1}}), "Langdock's next_cursor is a dict, not text"),
    (_body({"data": [], "next_cursor": True}), "Langdock's next_cursor is a bool, not text"),
    (None, "Langdock's answer is larger than the tap reads for one page"),
]


@pytest.mark.parametrize(("body", "reason"), MALFORMED)
def test_answers_that_are_no_page_are_named(body: bytes | None, reason: str) -> None:
    outcome = classify(200, body, None, where=WHERE, workspace_id=WS)
    assert isinstance(outcome, Malformed)
    assert outcome.reason.startswith(reason)


def test_query_widens_the_range_and_always_names_the_zone() -> None:
    window = Range(
        dt.datetime(2026, 6, 14, tzinfo=UTC), dt.datetime(2026, 6, 14, 11, 55, 0, 250, tzinfo=UTC)
    )
    assert page_query(window, None) == [
        ("from", "2026-06-13T23:59:59.000Z"),
        ("to", "2026-06-14T11:55:01.001Z"),
        ("limit", "50"),
    ]
    assert page_query(window, "al_9", limit=7)[-2:] == [("limit", "7"), ("cursor", "al_9")]


def test_instants_are_sent_in_utc_with_milliseconds() -> None:
    berlin = dt.timezone(dt.timedelta(hours=2))
    instant = dt.datetime(2026, 6, 14, 2, 0, 0, 999_999, tzinfo=berlin)
    assert format_instant(instant) == "2026-06-14T00:00:00.999Z"


ERROR_TEXTS = [
    (_body({"error": "Bad Request", "message": "Invalid cursor"}), ": Bad Request: Invalid cursor"),
    (_body({"message": "Rate limit exceeded"}), ": Rate limit exceeded"),
    (_body({"error": "Export", "message": "Export failed badly"}), ": Export failed badly"),
    (_body({"error": "x\n  y"}), ": x y"),
    (_body({"message": "m" * 500}), ": " + "m" * 300),
    (_body(["no"]), ""),
    (b"<html>", ""),
    (None, ""),
]


@pytest.mark.parametrize(("body", "text"), ERROR_TEXTS)
def test_error_text_is_short_and_one_line(body: bytes | None, text: str) -> None:
    assert error_text(body) == text


def test_parse_page_keeps_entries_as_they_came() -> None:
    odd = {"id": "x", "created_at": "nonsense", "changes": [1, 2]}
    page = parse_page(_body({"data": [odd], "next_cursor": None}))
    assert page == Page((odd,), None)
