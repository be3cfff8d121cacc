"""A second, deliberately different Langdock-compatible server.

The emulator is ours; Langdock (and whatever proxies sit in front of it) may differ in details
the docs leave open. This minimal server answers with a relative download link, a chunked
CSV with LF line ends, a recordCount given as text, full ISO dates in period columns, and a
404 that only says "No usage data found" in its message.
"""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import typing as t

import pytest

from tests.support.contract import STREAM_NAMES
from tests.support.secrets import TEST_API_KEY
from tests.support.tap_runner import run_tap

ROWS = {
    "2025-05-01": "period_start,period_end,org_id,project_id,project_name,messages\n"
    "2025-05-01T00:00:00.000Z,2025-05-01T23:59:59.999Z,o,p1,Alpha,3\n"
    '2025-05-01T00:00:00.000Z,2025-05-01T23:59:59.999Z,o,p2,"Beta, ""B""",4\n',
    "2025-05-03": "period_start,period_end,org_id,project_id,project_name,messages\n"
    "2025-05-03,2025-05-03,o,p1,Alpha,1\n",
}

COUNTS = {"2025-05-01": "2", "2025-05-03": "1"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bodies: t.ClassVar[list[dict[str, t.Any]]] = []

    def log_message(self, format: str, *args: t.Any) -> None:
        return

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "Transfer-Encoding" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if headers and headers.get("Transfer-Encoding") == "chunked":
            for start in range(0, len(body), 7):
                piece = body[start : start + 7]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        Handler.bodies.append(body)
        self._export(body)

    def _export(self, body: dict[str, t.Any]) -> None:
        if self.headers.get("Authorization") != f"Bearer {TEST_API_KEY}":
            self._send(401, b'{"error":"Unauthorized","message":"nope"}')
            return
        day = body["from"]["date"][:10]
        if day not in ROWS:
            self._send(404, b'{"message":"No usage data found for the selected period"}')
            return
        envelope = {
            "success": True,
            "data": {
                "downloadUrl": f"/files/{day}.csv.gz",
                "recordCount": COUNTS[day],
                "filePath": f"projects-usage/o/{day}.csv",
            },
        }
        self._send(200, json.dumps(envelope).encode(), {"Content-Type": "application/json"})

    def do_GET(self) -> None:
        if self.headers.get("Authorization"):
            self._send(400, b"storage does not take Authorization headers")
            return
        day = self.path.split("/")[-1][:10]
        self._send(
            200,
            gzip.compress(ROWS[day].encode()),
            {"Content-Encoding": "gzip", "Transfer-Encoding": "chunked"},
        )


@pytest.fixture
def other_server() -> t.Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.bodies.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/public"
    server.shutdown()
    server.server_close()


def test_tolerates_what_the_docs_leave_open(other_server: str) -> None:
    config = {
        "api_key": TEST_API_KEY,
        "api_url": other_server,
        "start_date": "2025-05-01",
        "end_date": "2025-05-03",
        "timezone": "Europe/Berlin",
    }
    run = run_tap(config)
    assert run.error is None, run.error
    records = run.records["projects_usage"]
    assert [(r["project_id"], r["period_start"], r["messages"]) for r in records] == [
        ("p1", "2025-05-01", 3),
        ("p2", "2025-05-01", 4),
        ("p1", "2025-05-03", 1),
    ]
    assert records[1]["project_name"] == 'Beta, "B"'
    assert run.bookmark("projects_usage")["exported_through"] == "2025-05-03"
    assert [b["from"] for b in Handler.bodies] == [
        {"date": f"2025-05-0{d}T00:00:00.000", "timezone": "Europe/Berlin"} for d in (1, 2, 3)
    ]
    assert "no data (HTTP 404)" in run.log


class NoByokHandler(Handler):
    """Another workspace without BYOK: its own wording for the grouping it cannot offer."""

    def _export(self, body: dict[str, t.Any]) -> None:
        if self.path.endswith("/export/models") and body.get("group_by") == "deployment":
            problem = {"error": "Bad Request", "message": "group_by=deployment requires BYOK"}
            self._send(400, json.dumps(problem).encode())
            return
        if not self.path.endswith("/export/projects"):
            self._send(404, b'{"message":"No usage data found for the selected period"}')
            return
        super()._export(body)


def test_everything_selected_without_byok_on_another_server() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NoByokHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.bodies.clear()
    try:
        config = {
            "api_key": TEST_API_KEY,
            "api_url": f"http://127.0.0.1:{server.server_address[1]}/api/public",
            "start_date": "2025-05-01",
            "end_date": "2025-05-03",
        }
        run = run_tap(config, streams=list(STREAM_NAMES))
    finally:
        server.shutdown()
        server.server_close()
    assert run.error is None, run.error
    assert run.log.count("Langdock does not offer this export in this workspace") == 1
    assert "group_by=deployment requires BYOK" in run.log
    assert len(run.records["projects_usage"]) == 3
    assert run.bookmark("projects_usage")["exported_through"] == "2025-05-03"
    assert run.bookmark("users_usage")["exported_through"] == "2025-05-03"
