"""The answers of the emulator's JSON APIs (audit log, Workflow API), independent of HTTP.

`wire` writes any object of this shape (see `router.Answer`); the API rooms build them here,
so their error bodies and canned faults have one form.
"""

from __future__ import annotations

import dataclasses
import json


@dataclasses.dataclass(frozen=True)
class ApiReply:
    """An HTTP answer; ``reset`` closes the connection instead."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    reset: bool = False


RESET = ApiReply(0, reset=True)
NOT_JSON = ApiReply(200, b"<html>maintenance</html>", content_type="text/html")


def json_answer(status: int, payload: object, headers: dict[str, str] | None = None) -> ApiReply:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return ApiReply(status, body, headers=headers or {})


def error_answer(status: int, error: str, message: str) -> ApiReply:
    return json_answer(status, {"error": error, "message": message})


def html_answer(status: int, title: str) -> ApiReply:
    page = f"<html><head><title>{status} {title}</title></head><body><h1>{title}</h1></body></html>"
    return ApiReply(status, page.encode(), content_type="text/html")


def rate_limited(retry_after: str | float | None) -> ApiReply:
    """HTTP 429, with ``Retry-After`` when the fault gives one (as given: faults test odd ones)."""
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    payload = {"error": "Too Many Requests", "message": "Rate limit exceeded"}
    return json_answer(429, payload, headers)
