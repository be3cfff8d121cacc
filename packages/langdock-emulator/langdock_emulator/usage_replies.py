"""The Usage Export API's fixed answers: its error bodies, fault replies and JSON row typing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from langdock_emulator.columns import column_kind
from langdock_emulator.data import MAX_ROWS
from langdock_emulator.faults import Fault
from langdock_emulator.wire import Reply, html_page, json_reply

_HUGE_BODY_BYTES = 20 * 1024 * 1024

RATE_LIMIT_BODY = {"error": "Too Many Requests", "message": "Rate limit for public API exceeded"}
UNAUTHORIZED_BODY = {"error": "Unauthorized", "message": "Invalid or missing API key"}
FORBIDDEN_BODY = {"error": "Forbidden", "message": "API key lacks the USAGE_EXPORT_API scope"}
NO_DATA_BODY = {"error": "No data found", "message": "No usage data found for the selected period"}


def too_large_body(rows: int) -> dict[str, str]:
    return {
        "error": "Export too large",
        "message": (
            f"Export too large: {rows} rows exceeds limit of {MAX_ROWS}. "
            "Please narrow the date range."
        ),
    }


def _huge_body() -> Reply:
    padding = "x" * _HUGE_BODY_BYTES
    return Reply(200, json.dumps({"success": True, "data": {"padding": padding}}).encode())


# Export-route faults whose reply does not depend on the fault's parameters.
_STATIC_FAULT_REPLIES: dict[str, Callable[[], Reply]] = {
    "reset": lambda: Reply(0, reset=True),
    "no_data": lambda: json_reply(404, NO_DATA_BODY),
    "unauthorized": lambda: json_reply(401, UNAUTHORIZED_BODY),
    "forbidden": lambda: json_reply(403, FORBIDDEN_BODY),
    "too_large": lambda: json_reply(400, too_large_body(1_500_000)),
    "not_json": lambda: Reply(200, b"OK \x00 this is not JSON {", content_type="text/plain"),
    "success_false": lambda: json_reply(
        200,
        {
            "success": False,
            "error": "Export failed",
            "message": "The export could not be generated",
        },
    ),
    "huge_body": _huge_body,
}


def fault_reply(fault: Fault) -> Reply | None:
    """The reply that replaces normal handling, or None for faults that only bend it."""
    kind = fault.kind
    if kind == "rate_limit":
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        return json_reply(429, RATE_LIMIT_BODY, headers)
    if kind == "server_error" and (fault.status or 503) == 500:
        return json_reply(
            500, {"error": "Internal Server Error", "message": "Something went wrong"}
        )
    if kind in {"server_error", "html_error"}:
        status = fault.status or (503 if kind == "server_error" else 502)
        return Reply(status, html_page(status), content_type="text/html")
    static = _STATIC_FAULT_REPLIES.get(kind)
    return None if static is None else static()


def typed(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the JSON route returns it: empty cells null, numbers and maps typed."""
    result: dict[str, Any] = {}
    for column, cell in row.items():
        kind = column_kind(column)
        if cell == "" and kind != "string":
            result[column] = None
        elif kind == "integer":
            result[column] = int(cell)
        elif kind == "decimal":
            result[column] = float(cell)
        elif kind == "boolean":
            result[column] = cell == "true"
        elif kind == "json":
            result[column] = json.loads(cell)
        else:
            result[column] = cell or None
    return result
