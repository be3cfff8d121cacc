"""A second, independently written Workflow API that makes every choice the emulator does not.

snake_case fields (``workflow_id``, ``created_at``, ``total_cost_usd``, ``node_executions``);
runs oldest first; cursors that are opaque page tokens; ``has_more`` with the cursor absent on
the last page; lists under ``data``; ``from``/``to`` ignored (every run ever, so the tap must
filter); timestamps with ``+00:00`` and microseconds; raw control characters inside strings;
and a running run that becomes final only after it was read twice (a read counter, not a
clock). The table the tap fills must equal this server's runs all the same.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import threading
import typing as t
import urllib.parse

import pytest

from tests.support.secrets import TEST_API_KEY
from tests.support.tap_runner import run_tap
from tests.workflow.workflow_support import Clock, by_id, duplicates

UTC = dt.timezone.utc
PAGE = 4
T1 = dt.datetime(2026, 6, 20, 12, tzinfo=UTC)
T2 = dt.datetime(2026, 6, 21, 12, tzinfo=UTC)
RUNNING = {"w2-r3", "w1-r9"}
"""Runs that are RUNNING at their first two reads, then COMPLETED."""


def _workflows() -> list[dict[str, t.Any]]:
    return [
        {"id": f"w{n}", "name": f"flow\t{n}", "owner_id": f"u{n}", "is_template": False}
        for n in range(3)
    ]


def _runs(workflow: str) -> list[dict[str, t.Any]]:
    start = dt.datetime(2026, 6, 19, tzinfo=UTC)
    runs = []
    for n in range(12):
        created = start + dt.timedelta(hours=5 * n, minutes=int(workflow[1]) * 7, microseconds=n)
        runs.append(
            {
                "id": f"{workflow}-r{n}",
                "workflow_id": workflow,
                "status": "FAILED" if n % 4 == 1 else "COMPLETED",
                "run_mode": "production",
                "created_at": created.isoformat(timespec="microseconds"),
                "duration_ms": 1000 + n,
                "total_cost_usd": n / 100,
                "error_message": "boom\x0bline\nnext" if n % 4 == 1 else None,
                "node_executions": [{"node_id": "a", "output": "x\x07"}],
                "region": "eu",
            }
        )
    return runs


RUNS = {w["id"]: _runs(w["id"]) for w in _workflows()}
READS: dict[str, int] = {}


def _shown(run: dict[str, t.Any]) -> dict[str, t.Any]:
    if run["id"] not in RUNNING:
        return run
    READS[run["id"]] = READS.get(run["id"], 0) + 1
    if READS[run["id"]] <= 2:
        return {**run, "status": "RUNNING", "duration_ms": None}
    return run


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    queries: t.ClassVar[list[dict[str, str]]] = []

    def log_message(self, format: str, *args: t.Any) -> None:
        return

    def _send(self, status: int, payload: object) -> None:
        # Raw control characters, as third-party clients report Langdock sends them.
        text = json.dumps(payload, ensure_ascii=False)
        for escaped, raw in (
            ("\\t", "\t"),
            ("\\n", "\n"),
            ("\\u000b", "\x0b"),
            ("\\u0007", "\x07"),
        ):
            text = text.replace(escaped, raw)
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        Handler.queries.append({"path": url.path, **query})
        if self.headers.get("Authorization") != f"Bearer {TEST_API_KEY}":
            self._send(401, {"message": "bad key"})
            return
        if url.path == "/api/public/workflows/v1/list":
            self._page(_workflows(), query, list)
        elif url.path == "/api/public/workflows/v1/runs" and query.get("workflowId") in RUNS:
            items = [r for r in RUNS[query["workflowId"]] if _created(r) <= NOW[0]]
            self._page(items, query, lambda page: [_shown(r) for r in page])
        else:
            self._send(404, {"message": "no such route"})

    def _page(
        self, items: list[dict[str, t.Any]], query: dict[str, str], show: t.Callable[..., t.Any]
    ) -> None:
        token = query.get("cursor")
        first = int(json.loads(base64.urlsafe_b64decode(token))["o"]) if token else 0
        page = items[first : first + PAGE]
        document: dict[str, t.Any] = {"data": show(page), "has_more": first + PAGE < len(items)}
        if document["has_more"]:
            document["next_cursor"] = base64.urlsafe_b64encode(
                json.dumps({"o": first + PAGE}).encode()
            ).decode()
        self._send(200, document)


NOW = [T1]


def _created(run: dict[str, t.Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(run["created_at"])


@pytest.fixture
def other_server() -> t.Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.queries.clear()
    READS.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/public"
    server.shutdown()
    server.server_close()


def test_the_table_equals_another_servers_runs(other_server: str, clock: Clock) -> None:
    config = {
        "api_key": TEST_API_KEY,
        "api_url": other_server,
        "start_date": "2026-06-19",
        "max_requests_per_minute": 1_000_000,
    }
    streams = ("workflows", "workflow_runs")
    NOW[0] = clock.now = T1
    results = [run_tap(config, streams=streams)]
    NOW[0] = clock.now = T2
    for _ in range(3):
        results.append(run_tap(config, results[-1].state, streams=streams))
    for result in results:
        assert result.error is None, result.error
        assert not duplicates(result.records["workflow_runs"])
    # Each later run emits the new runs and those read while going, until they are final.
    reread = [
        {r["id"] for r in x.records.get("workflow_runs", []) if _created(r) < T1} for x in results
    ]
    assert reread[1] == {"w2-r3"}
    assert {r["id"] for r in results[2].records["workflow_runs"]} == RUNNING
    assert {r["id"] for r in results[3].records["workflow_runs"]} == {"w1-r9"}
    assert not results[3].bookmark("workflow_runs")["open_runs"]
    loaded: dict[str, dict[str, t.Any]] = {}
    for result in results:
        loaded.update(by_id(result.records["workflow_runs"]))
    served = [r for runs in RUNS.values() for r in runs if _created(r) < T2]
    assert sorted(loaded) == sorted(r["id"] for r in served)
    for run in served:
        record = loaded[run["id"]]
        assert record["status"] == run["status"]
        assert record["is_final"] is True
        assert record["workflow_id"] == run["workflow_id"]
        assert _created(record) == _created(run)
        assert record["duration_ms"] == run["duration_ms"]
        assert record["cost_usd"] == run["total_cost_usd"]
        assert record["error"] == run["error_message"]
        assert record["execution_count"] == 1
        assert record["_extra_fields"] == {"region": "eu"}
    names = {w["id"]: w["name"] for w in results[0].records["workflows"]}
    assert names == {"w0": "flow\t0", "w1": "flow\t1", "w2": "flow\t2"}
    assert all(q["limit"] == "100" for q in Handler.queries)
    assert "no longer listed" not in results[1].log
