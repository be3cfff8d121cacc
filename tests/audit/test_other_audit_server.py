"""A second, independently written Audit Logs API that makes every choice the emulator does not.

Oldest first; ``from`` and ``to`` both exclusive; seven entries per page whatever ``limit``
says; cursors that are page tokens, not entry ids; every page after the first starts with the
previous page's last entry again (what offset paging does when an entry arrives meanwhile);
timestamps with ``+00:00`` and microseconds; a field the docs do not list. The table the tap
fills must equal this server's log all the same.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import re
import threading
import typing as t
import urllib.parse

import pytest

from tests.audit.audit_support import Clock, by_id, duplicates
from tests.support.secrets import TEST_API_KEY
from tests.support.tap_runner import run_tap

UTC = dt.timezone.utc
WORKSPACE = "ws-other-7"
PAGE = 7


def _log() -> list[dict[str, t.Any]]:
    """Sixty entries from 2026-06-13 on, one at midnight, two sharing a timestamp."""
    start = dt.datetime(2026, 6, 13, tzinfo=UTC)
    entries: list[dict[str, t.Any]] = []
    for n in range(60):
        created = start + dt.timedelta(minutes=47 * n + (n * n) % 13)
        if n == 31:
            created = dt.datetime(2026, 6, 14, tzinfo=UTC)
        if n == 40:
            created = dt.datetime.fromisoformat(entries[-1]["created_at"])
        entries.append(
            {
                "id": f"evt-{(n * 7919) % 10007:05d}",
                "created_at": created.isoformat(timespec="microseconds"),
                "actor_id": f"u{n % 4}",
                "actor_type": ["USER", "API_KEY", "SYSTEM", "SCIM"][n % 4],
                "actor_name": None if n % 4 == 2 else f"Admin {n % 4}",
                "action": ["agent.created", "user.updated", "api_key.deleted"][n % 3],
                "entity_type": ["agent", "user", "api_key"][n % 3],
                "entity_id": f"e{n % 9}",
                "ip_address": None if n % 4 == 2 else f"203.0.113.{n}",
                "user_agent": "curl/8.5",
                "changes": None if n % 5 == 0 else {"before": {"n": n}, "after": {"n": n + 1}},
                "snapshot": {"n": n, "nested": {"list": [n, None, "x"]}},
                "request_id": f"req-{n}",
            }
        )
    entries.sort(key=lambda e: (e["created_at"], e["id"]))
    return entries


LOG = _log()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    queries: t.ClassVar[list[dict[str, str]]] = []

    def log_message(self, format: str, *args: t.Any) -> None:
        return

    def _send(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        Handler.queries.append(query)
        if url.path != f"/api/public/audit-logs/{WORKSPACE}":
            self._send(404, {"message": "no such route"})
            return
        if self.headers.get("Authorization") != f"Bearer {TEST_API_KEY}":
            self._send(401, {"message": "bad key"})
            return
        start = dt.datetime.fromisoformat(query["from"].replace("Z", "+00:00"))
        end = dt.datetime.fromisoformat(query["to"].replace("Z", "+00:00"))
        inside = [
            e for e in LOG if start < dt.datetime.fromisoformat(e["created_at"]) < end
        ]  # exclusive
        page = int(re.fullmatch(r"p(\d+)", query.get("cursor", "p0")).group(1))  # type: ignore[union-attr]
        first = page * PAGE
        items = inside[first : first + PAGE]
        if page > 0:
            items = [inside[first - 1], *items]
        more = first + PAGE < len(inside)
        self._send(200, {"data": items, "next_cursor": f"p{page + 1}" if more else None})


@pytest.fixture
def other_server() -> t.Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.queries.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/public"
    server.shutdown()
    server.server_close()


def test_the_table_equals_another_servers_log(other_server: str, clock: Clock) -> None:
    config = {
        "api_key": TEST_API_KEY,
        "api_url": other_server,
        "start_date": "2026-06-13",
        "workspace_id": WORKSPACE,
        "max_requests_per_minute": 1_000_000,
    }
    clock.now = dt.datetime(2026, 6, 14, 12, 0, tzinfo=UTC)
    first = run_tap({**config, "end_date": "2026-06-13"}, streams=("audit_logs",))
    clock.now = dt.datetime(2026, 6, 16, 9, 30, tzinfo=UTC)
    second = run_tap(config, first.state, streams=("audit_logs",))
    for result in (first, second):
        assert result.error is None, result.error
        assert not duplicates(result.records["audit_logs"])
    loaded = by_id(first.records["audit_logs"] + second.records["audit_logs"])
    assert sorted(loaded) == sorted(e["id"] for e in LOG)
    for entry in LOG:
        record = loaded[entry["id"]]
        assert dt.datetime.fromisoformat(record["created_at"]) == dt.datetime.fromisoformat(
            entry["created_at"]
        )
        assert record["changes"] == entry["changes"]
        assert record["snapshot"] == entry["snapshot"]
        assert record["_extra_fields"] == {"request_id": entry["request_id"]}
    # The repeated first entries of later pages were read twice and emitted once.
    assert sum(int(n) for n in re.findall(r"(\d+) read twice", first.log + second.log)) > 0
    assert "Langdock sent field request_id, which this tap does not know" in first.log
    assert all(q["limit"] == "50" and q["from"].endswith("Z") for q in Handler.queries)
