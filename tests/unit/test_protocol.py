"""Langdock's export protocol as tables: every status and body to one outcome, no HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tap_langdock.errors import ExportError, KeyRejected
from tap_langdock.export import protocol
from tap_langdock.export.protocol import Cause, Outcome
from tap_langdock.windows import Grain, Window

WHERE = "projects_usage, window 2026-03-01 (UTC)"
BASE = "https://api.langdock.com"


def classify(status: int, body: object = None, retry_after: float | None = None) -> protocol.Answer:
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    return protocol.classify_export(
        status, raw, retry_after, where=WHERE, path="/export/projects", base_url=BASE
    )


def envelope(
    url: object = "https://storage.example/f.csv?sig=x", count: object = 3
) -> dict[str, object]:
    return {"success": True, "data": {"downloadUrl": url, "recordCount": count}}


NO_DATA = {"error": "No data found", "message": "No usage data found for the selected period"}


@pytest.mark.parametrize(
    ("status", "body", "outcome", "error", "text"),
    [
        (200, envelope(), Outcome.OK, None, ""),
        (404, NO_DATA, Outcome.NO_DATA, None, ""),
        (404, {"error": "No data", "message": "nothing"}, Outcome.NO_DATA, None, ""),
        (429, {"error": "Too many"}, Outcome.RETRY, None, "HTTP 429 from Langdock: Too many"),
        (408, None, Outcome.RETRY, None, "HTTP 408 from Langdock"),
        (425, None, Outcome.RETRY, None, "HTTP 425 from Langdock"),
        (500, b"<html>oops</html>", Outcome.RETRY, None, "HTTP 500 from Langdock"),
        (503, None, Outcome.RETRY, None, "HTTP 503 from Langdock"),
        (
            401,
            {"error": "Unauthorized", "message": "Invalid or missing API key"},
            Outcome.FAIL,
            KeyRejected,
            f"{WHERE}: Langdock rejected the API key (HTTP 401: Unauthorized: Invalid "
            "or missing API key): check it and that it has the USAGE_EXPORT_API scope",
        ),
        (403, None, Outcome.FAIL, KeyRejected, "Langdock rejected the API key (HTTP 403)"),
        (
            404,
            b"Not Found",
            Outcome.FAIL,
            ExportError,
            f"{WHERE}: HTTP 404 from /export/projects: "
            "check api_url (cloud: https://api.langdock.com; dedicated deployments: "
            "https://<host>/api/public)",
        ),
        (
            400,
            {"error": "Bad Request", "message": "Invalid date range"},
            Outcome.FAIL,
            ExportError,
            "Langdock refused the export (HTTP 400: Bad Request: Invalid date range): check the "
            "window and settings",
        ),
        (
            400,
            {"error": "Export too large", "message": "Export too large: 1500000 rows"},
            Outcome.FAIL,
            ExportError,
            "a shorter window does not help",
        ),
        (418, None, Outcome.FAIL, ExportError, f"{WHERE}: unexpected HTTP 418 from Langdock"),
        (200, b"not json", Outcome.NEW_EXPORT, None, "body that is not JSON"),
        (200, [1, 2], Outcome.NEW_EXPORT, None, "JSON that is not an object"),
        (200, {"success": False, "error": "x"}, Outcome.NEW_EXPORT, None, "success=False: x"),
        (200, {"success": True, "data": []}, Outcome.NEW_EXPORT, None, "no data.downloadUrl"),
        (200, envelope(url=""), Outcome.NEW_EXPORT, None, "no data.downloadUrl"),
        (200, envelope(url="ftp://h/f"), Outcome.NEW_EXPORT, None, "not an http(s) URL"),
        (200, envelope(url="http://storage.example/f"), Outcome.NEW_EXPORT, None, "plain http"),
    ],
)
def test_export_answers(
    status: int, body: object, outcome: Outcome, error: type[ExportError] | None, text: str
) -> None:
    answer = classify(status, body)
    assert answer.outcome is outcome
    assert text in answer.message
    if outcome is Outcome.FAIL:
        assert answer.error is error
        assert answer.message.startswith(WHERE)
    if outcome is Outcome.NEW_EXPORT:
        assert answer.cause is Cause.BAD_RESPONSE


def test_an_oversized_answer_asks_for_a_fresh_export() -> None:
    answer = classify(200, None)
    assert (answer.outcome, answer.cause) == (Outcome.NEW_EXPORT, Cause.BAD_RESPONSE)
    assert "larger than 1048576 bytes" in answer.message


def test_retry_after_is_carried_over() -> None:
    assert classify(429, None, retry_after=7.0).retry_after == 7.0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://s.example/f.csv?sig=1", "https://s.example/f.csv?sig=1"),
        ("/files/f.csv?sig=1", "https://api.langdock.com/files/f.csv?sig=1"),
        ("http://127.0.0.1:9/f", "http://127.0.0.1:9/f"),
    ],
)
def test_envelope_urls(url: str, expected: str) -> None:
    answer = classify(200, envelope(url=url))
    assert answer.envelope is not None
    assert answer.envelope.download_url == expected
    assert url not in repr(answer)  # a signed URL is a credential: never in a repr


@pytest.mark.parametrize(
    ("count", "expected"),
    [(3, 3), ("12", 12), (" 5 ", 5), (-1, None), (True, None), ("x", None), (None, None)],
)
def test_record_count_forms(count: object, expected: int | None) -> None:
    answer = classify(200, envelope(count=count))
    assert answer.envelope is not None
    assert answer.envelope.record_count == expected


@pytest.mark.parametrize(
    ("status", "outcome", "cause"),
    [
        (200, Outcome.OK, None),
        (400, Outcome.NEW_EXPORT, Cause.URL_REFUSED),
        (401, Outcome.NEW_EXPORT, Cause.URL_REFUSED),
        (403, Outcome.NEW_EXPORT, Cause.URL_REFUSED),
        (404, Outcome.NEW_EXPORT, Cause.URL_REFUSED),
        (410, Outcome.NEW_EXPORT, Cause.URL_REFUSED),
        (429, Outcome.RETRY, None),
        (500, Outcome.RETRY, None),
        (503, Outcome.RETRY, None),
    ],
)
def test_download_answers(status: int, outcome: Outcome, cause: Cause | None) -> None:
    answer = protocol.classify_download(status, None)
    assert (answer.outcome, answer.cause) == (outcome, cause)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            b'{"error": "No data found", "message": "No usage data found"}',
            ": No data found: No usage data found",
        ),
        (
            b'{"error": "Export too large", "message": "Export too large: 2 rows"}',
            ": Export too large: 2 rows",
        ),
        (b'{"error": " spaced\\n  out "}', ": spaced out"),
        (b"[]", ""),
        (b"<html>", ""),
        (None, ""),
    ],
)
def test_error_text(body: bytes | None, text: str) -> None:
    assert protocol.error_text(body) == text


def test_request_body_names_the_zone_on_both_bounds() -> None:
    window = Window(dt.date(2026, 3, 29), dt.date(2026, 3, 29), Grain.DAY)
    body = protocol.request_body(window, "Europe/Berlin", "model")
    assert body == {
        "from": {"date": "2026-03-29T00:00:00.000", "timezone": "Europe/Berlin"},
        "to": {"date": "2026-03-29T23:59:59.999", "timezone": "Europe/Berlin"},
        "group_by": "model",
    }
    assert "group_by" not in protocol.request_body(window, "UTC", None)
