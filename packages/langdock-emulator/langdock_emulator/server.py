"""The HTTP side: export routes, signed storage, admin routes, and the ``Emulator`` handle."""

from __future__ import annotations

import collections
import csv
import dataclasses
import datetime as dt
import gzip
import hmac
import json
import math
import re
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from langdock_emulator.audit_log import AUDIT_ROUTE, AuditLog, AuditReply
from langdock_emulator.columns import (
    DATA_TYPE,
    EXPORT_TYPES,
    check_group_by,
    column_kind,
    columns_for,
)
from langdock_emulator.data import MAX_ROWS, UsageData
from langdock_emulator.dates import (
    BadRequestError,
    Window,
    iso_with_offset,
    parse_wall_clock,
    parse_zone,
    to_utc,
    window_from_body,
)
from langdock_emulator.faults import (
    CONTENT_KINDS,
    CSV_ENVELOPE_KINDS,
    EXPORT_KINDS,
    Fault,
    FaultSchedule,
    corrupt_csv,
)
from langdock_emulator.load import CONCURRENCY_BODY, CONCURRENCY_RETRY_AFTER_SECONDS, ExportLoad
from langdock_emulator.logs import DownloadLog, ExportRequestLog
from langdock_emulator.settings import WorkspaceSettings, apply_settings_patch
from langdock_emulator.storage import FileStore, StoredFile
from langdock_emulator.workflow_api import WORKFLOW_ROUTE, WorkflowApi, WorkflowReply

DEFAULT_API_KEY = "emulator-key"
_EXPORT_ROUTE = re.compile(r"(?:/api/public)?/export/([^/]+)(?:/(csv|json))?/?")
_STORAGE_ROUTE = re.compile(r"/storage/([0-9a-f]+)\.csv")
_SIGNATURE_PARAM = re.compile(r"signature=[^&\s'\"]*")
_CHUNK = 64 * 1024
_HUGE_BODY_BYTES = 20 * 1024 * 1024
_RATE_WINDOW_SECONDS = 60.0

_RATE_LIMIT_BODY = {"error": "Too Many Requests", "message": "Rate limit for public API exceeded"}
_UNAUTHORIZED_BODY = {"error": "Unauthorized", "message": "Invalid or missing API key"}
_FORBIDDEN_BODY = {"error": "Forbidden", "message": "API key lacks the USAGE_EXPORT_API scope"}
_NO_DATA_BODY = {"error": "No data found", "message": "No usage data found for the selected period"}
_HTML_STATUS_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


_INVALID_JSON = object()


def _too_large_body(rows: int) -> dict[str, str]:
    return {
        "error": "Export too large",
        "message": (
            f"Export too large: {rows} rows exceeds limit of {MAX_ROWS}. "
            "Please narrow the date range."
        ),
    }


@dataclasses.dataclass
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    file: Path | None = None
    truncate: bool = False
    reset: bool = False


def _json_reply(status: int, payload: object, headers: dict[str, str] | None = None) -> _Reply:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return _Reply(status, body, headers=headers or {})


def _xml_error(status: int, reason: str) -> _Reply:
    code, _, message = reason.partition(":")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()
    return _Reply(status, body, content_type="application/xml")


def _html_page(status: int) -> bytes:
    title = f"{status} {_HTML_STATUS_TEXT.get(status, 'Error')}"
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head>"
        f"<body><center><h1>{title}</h1></center><hr><center>nginx</center></body></html>"
    ).encode()


def _huge_body() -> _Reply:
    padding = "x" * _HUGE_BODY_BYTES
    return _Reply(200, json.dumps({"success": True, "data": {"padding": padding}}).encode())


# Export-route faults whose reply does not depend on the fault's parameters.
_STATIC_FAULT_REPLIES: dict[str, Callable[[], _Reply]] = {
    "reset": lambda: _Reply(0, reset=True),
    "no_data": lambda: _json_reply(404, _NO_DATA_BODY),
    "unauthorized": lambda: _json_reply(401, _UNAUTHORIZED_BODY),
    "forbidden": lambda: _json_reply(403, _FORBIDDEN_BODY),
    "too_large": lambda: _json_reply(400, _too_large_body(1_500_000)),
    "not_json": lambda: _Reply(200, b"OK \x00 this is not JSON {", content_type="text/plain"),
    "success_false": lambda: _json_reply(
        200,
        {
            "success": False,
            "error": "Export failed",
            "message": "The export could not be generated",
        },
    ),
    "huge_body": _huge_body,
}


def _as_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _sub(body: object, key: str) -> dict[str, Any]:
    part = body.get(key) if isinstance(body, dict) else None
    return part if isinstance(part, dict) else {}


def _first(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def _typed(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the JSON route returns it: empty cells null, numbers and maps typed."""
    typed: dict[str, Any] = {}
    for column, cell in row.items():
        kind = column_kind(column)
        if cell == "" and kind != "string":
            typed[column] = None
        elif kind == "integer":
            typed[column] = int(cell)
        elif kind == "decimal":
            typed[column] = float(cell)
        elif kind == "boolean":
            typed[column] = cell == "true"
        elif kind == "json":
            typed[column] = json.loads(cell)
        else:
            typed[column] = cell or None
    return typed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # A client may open dozens of connections at once; the default backlog of 5 drops some.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients under test hang up mid-request all the time; that is not worth a traceback.
        if self.emulator.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LangdockEmulator/1.0"
    sys_version = ""
    # Idle keep-alive connections must not pin a thread forever.
    timeout = 120
    # Headers and body go out in separate writes; with Nagle on, delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            reply = emulator._handle(method, self.path, self.headers, body)
        except Exception as exc:  # a bug in the emulator must not look like a network fault
            traceback.print_exc(file=sys.stderr)
            reply = _json_reply(
                500, {"error": "Internal Server Error", "message": type(exc).__name__}
            )
        try:
            self._send(reply)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _send(self, reply: _Reply) -> None:
        if reply.reset:
            # SO_LINGER 0 turns close() into a TCP RST; the real close happens once the
            # handler's file objects are released right after this method returns.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            self._log_line(0)
            return
        length = reply.file.stat().st_size if reply.file is not None else len(reply.body)
        self.send_response(reply.status)
        content_type = reply.content_type
        if content_type.startswith(("application/json", "text/")) and "charset" not in content_type:
            content_type += "; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        limit = length // 2 if reply.truncate else length
        if reply.file is None:
            self.wfile.write(reply.body[:limit])
            return
        with reply.file.open("rb") as source:
            remaining = limit
            while remaining > 0:
                chunk = source.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self._log_line(code)

    def _log_line(self, code: int | str) -> None:
        # The query string carries the URL signature, so only the path is ever logged.
        if self.server.emulator.verbose:
            path = urlsplit(self.path).path
            sys.stderr.write(f"{self.command} {path} -> {code}\n")

    def log_message(self, format: str, *args: Any) -> None:
        emulator = self.server.emulator
        if emulator.verbose:
            # Error messages quote the raw request line, which may carry a URL signature.
            text = _SIGNATURE_PARAM.sub("signature=***", format % args)
            sys.stderr.write(f"emulator: {text.replace(emulator.api_key, '***')}\n")


class Emulator:
    """A Langdock Usage Export API on 127.0.0.1, started on construction.

    Use as a context manager or call ``close()``. ``settings`` may be changed at any time;
    every request reads it afresh.
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        seed: int = 7,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        settings: WorkspaceSettings | None = None,
        verbose: bool = False,
    ) -> None:
        self.api_key = api_key
        self.seed = seed
        self.verbose = verbose
        self.settings = settings.copy() if settings is not None else WorkspaceSettings()
        self._initial_settings = self.settings.copy()
        self.data = UsageData(seed)
        # The Audit Logs API of the same workspace (its id is the exports' org_id).
        self.audit = AuditLog(seed, self.data.org_id)
        self.workflows = WorkflowApi(seed)
        self.export_requests: list[ExportRequestLog] = []
        self.download_requests: list[DownloadLog] = []
        self.storage_saw_authorization = 0
        self._faults = FaultSchedule()
        self._store = FileStore(seed)
        self._lock = threading.Lock()
        self._rate_windows: dict[str, collections.deque[float]] = {}
        self.load = ExportLoad()
        self._server = _Server((host, port), self)
        bound_host, bound_port = self._server.server_address[:2]
        self.host = str(bound_host)
        self.port = int(bound_port)
        self._closed = False
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"langdock-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._store.close()

    # --- test-facing API -------------------------------------------------------------------

    @property
    def fault_log(self) -> list[tuple[str, str, str]]:
        """(fault kind, "export" or "download", path without query) per injected fault."""
        return self._faults.log

    @property
    def pending_faults(self) -> list[Fault]:
        return self._faults.pending()

    def add_fault(self, fault: Fault) -> None:
        self._faults.add(fault)

    def clear_faults(self) -> None:
        """Drop queued faults and switch random faults off."""
        self._faults.clear()

    def set_random_faults(
        self,
        rate: float | None,
        seed: int = 0,
        kinds: Sequence[str | Fault] | None = None,
        *,
        slow_delay: float = 0.2,
    ) -> None:
        """Fault a ``rate`` fraction of requests, chosen by a PRNG seeded with ``seed``.

        ``kinds`` holds kind names (parameters drawn at random, ``slow`` sleeps
        ``slow_delay``) or ``Fault`` templates used as given. ``rate=None`` disables.
        """
        self._faults.set_random(rate, seed, kinds, slow_delay)

    def reset(self) -> None:
        """Back to the state right after construction (settings included), files deleted."""
        self._faults.clear()
        with self._lock:
            self._faults.log.clear()
            self.export_requests.clear()
            self.download_requests.clear()
            self.storage_saw_authorization = 0
            self._rate_windows.clear()
            self.load.reset()
            self.audit.reset()
            self.workflows.reset()
            # In place, so references a test took to ``emu.settings`` stay live.
            initial = self._initial_settings.copy()
            for field in dataclasses.fields(initial):
                setattr(self.settings, field.name, getattr(initial, field.name))
        self._store.clear()

    def entity_ids(self, export_type: str) -> list[str]:
        """Ids of every entity of the type (models: names), active or not."""
        return self.data.entity_ids(export_type, self.settings)

    def ground_truth_messages(
        self,
        export_type: str,
        entity_id: str,
        from_utc: dt.datetime,
        to_utc: dt.datetime,
    ) -> int:
        """The entity's primary count over buckets starting in [from_utc, to_utc].

        Naive datetimes are taken as UTC. Models sum both BYOK states and all groups.
        """
        return self.data.ground_truth(export_type, entity_id, from_utc, to_utc, self.settings)

    def expected_rows(
        self,
        export_type: str,
        from_local: str = "2024-01-01T00:00:00.000",
        to_local: str = "2024-01-01T23:59:59.999",
        timezone: str = "UTC",
        group_by: str | None = None,
    ) -> list[dict[str, str]]:
        """The CSV data rows an export with this body would return now, without HTTP."""
        if export_type not in EXPORT_TYPES:
            raise ValueError(f"unknown export type {export_type!r}")
        window = self._window(from_local, to_local, timezone)
        group = check_group_by(export_type, group_by, byok=self.settings.byok)
        return self.expected_rows_for(export_type, window, group, self.settings)

    @staticmethod
    def _window(from_local: str, to_local: str, timezone: str) -> Window:
        zone = parse_zone(timezone, "timezone")
        start = parse_wall_clock(from_local, "from.date")
        end = parse_wall_clock(to_local, "to.date")
        window = Window(
            start.replace(tzinfo=zone),
            end.replace(tzinfo=zone),
            to_utc(start, zone),
            to_utc(end, zone),
        )
        if window.from_utc > window.to_utc:
            raise BadRequestError("Invalid date range")
        return window

    # --- request handling ------------------------------------------------------------------

    def _handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> _Reply:
        split = urlsplit(raw_path)
        path = split.path
        if path.startswith("/_emulator/"):
            return self._admin(method, path, body)
        storage = _STORAGE_ROUTE.fullmatch(path)
        if storage is not None and method == "GET":
            return self._download(path, storage.group(1), split.query, headers)
        answer = self._read_api(method, path, split.query, headers)
        if answer is not None:
            return _Reply(
                answer.status, answer.body, answer.content_type, answer.headers, reset=answer.reset
            )
        export = _EXPORT_ROUTE.fullmatch(path)
        if export is not None:
            if method != "POST":
                return _json_reply(
                    405,
                    {"error": "Method Not Allowed", "message": "Export routes accept POST only"},
                    {"Allow": "POST"},
                )
            return self._export(path, export.group(1), export.group(2) or "csv", headers, body)
        return _json_reply(404, {"error": "Not Found", "message": f"No route for {path}"})

    def _read_api(
        self, method: str, path: str, query: str, headers: Any
    ) -> AuditReply | WorkflowReply | None:
        """The Audit Logs and Workflow APIs' answer, when ``path`` is one of theirs."""
        audit = AUDIT_ROUTE.fullmatch(path)
        if audit is not None:
            return self.audit.handle(method, audit.group(1), query, headers, self.api_key)
        workflow = WORKFLOW_ROUTE.fullmatch(path)
        if workflow is not None:
            return self.workflows.handle(method, workflow.group(1), query, headers, self.api_key)
        return None

    def _authorized(self, headers: Any) -> bool:
        value = headers.get("Authorization") or ""
        scheme, _, token = value.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self.api_key.encode()
        )

    def _export(self, path: str, segment: str, fmt: str, headers: Any, raw: bytes) -> _Reply:
        authorized = self._authorized(headers)
        try:
            body: object = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = _INVALID_JSON
        allowed = EXPORT_KINDS if fmt == "csv" else EXPORT_KINDS - CSV_ENVELOPE_KINDS
        fault = self._faults.take("export", segment, allowed, path)
        reply = self._export_reply(segment, fmt, authorized, body, fault)
        start, end = _sub(body, "from"), _sub(body, "to")
        entry = ExportRequestLog(
            export_type=segment,
            route=path,
            from_date=_as_text(start.get("date")),
            from_timezone=_as_text(start.get("timezone")),
            to_date=_as_text(end.get("date")),
            to_timezone=_as_text(end.get("timezone")),
            group_by=_as_text(body.get("group_by")) if isinstance(body, dict) else None,
            status=0 if reply.reset else reply.status,
            authorized=authorized,
        )
        with self._lock:
            self.export_requests.append(entry)
        return reply

    @staticmethod
    def _fault_reply(fault: Fault) -> _Reply | None:
        """The reply that replaces normal handling, or None for faults that only bend it."""
        kind = fault.kind
        if kind == "rate_limit":
            headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            return _json_reply(429, _RATE_LIMIT_BODY, headers)
        if kind == "server_error" and (fault.status or 503) == 500:
            return _json_reply(
                500, {"error": "Internal Server Error", "message": "Something went wrong"}
            )
        if kind in {"server_error", "html_error"}:
            status = fault.status or (503 if kind == "server_error" else 502)
            return _Reply(status, _html_page(status), content_type="text/html")
        static = _STATIC_FAULT_REPLIES.get(kind)
        return None if static is None else static()

    def _export_reply(
        self, segment: str, fmt: str, authorized: bool, body: object, fault: Fault | None
    ) -> _Reply:
        if fault is not None:
            immediate = self._fault_reply(fault)
            if immediate is not None:
                return immediate
            if fault.kind == "slow":
                time.sleep(fault.delay if fault.delay is not None else 1.0)
        rejection = self._reject(segment, authorized)
        if rejection is not None:
            return rejection
        settings = self.settings
        try:
            if body is _INVALID_JSON:
                raise BadRequestError("Invalid JSON body")
            window = window_from_body(body)
            assert isinstance(body, dict)  # window_from_body rejects anything else
            group_by = check_group_by(segment, body.get("group_by"), byok=settings.byok)
        except BadRequestError as exc:
            return _json_reply(400, {"error": "Bad Request", "message": str(exc)})
        with self.load.admit(settings) as latency:
            if latency is None:
                retry = {"Retry-After": str(CONCURRENCY_RETRY_AFTER_SECONDS)}
                return _json_reply(429, CONCURRENCY_BODY, retry)
            if latency > 0:
                time.sleep(latency)
            kind = fault.kind if fault is not None else None
            if fmt == "json":
                return self._json_rows(segment, window, group_by, settings, kind)
            return self._csv_envelope(segment, window, group_by, settings, kind)

    def _reject(self, segment: str, authorized: bool) -> _Reply | None:
        """401, 404 or 429 before the body is even looked at, as the real API orders them."""
        if not authorized:
            return _json_reply(401, _UNAUTHORIZED_BODY)
        if segment not in EXPORT_TYPES:
            message = f"Unknown export type '{segment}'. Supported: {', '.join(EXPORT_TYPES)}"
            return _json_reply(404, {"error": "Not Found", "message": message})
        retry_after = self._rate_limit_wait()
        if retry_after is not None:
            return _json_reply(429, _RATE_LIMIT_BODY, {"Retry-After": str(retry_after)})
        return None

    def _rate_limit_wait(self) -> int | None:
        limit = self.settings.rate_limit_per_minute
        if limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            window = self._rate_windows.setdefault(self.api_key, collections.deque())
            while window and window[0] <= now - _RATE_WINDOW_SECONDS:
                window.popleft()
            if len(window) >= limit:
                if not window:
                    return math.ceil(_RATE_WINDOW_SECONDS)
                return max(1, math.ceil(window[0] + _RATE_WINDOW_SECONDS - now))
            window.append(now)
            return None

    def _json_rows(
        self,
        segment: str,
        window: Window,
        group_by: str | None,
        settings: WorkspaceSettings,
        fault_kind: str | None,
    ) -> _Reply:
        if settings.bulk_rows is not None and settings.bulk_rows > MAX_ROWS:
            return _json_reply(400, _too_large_body(settings.bulk_rows))
        rows = self.expected_rows_for(segment, window, group_by, settings)
        if not rows:
            return _json_reply(404, _NO_DATA_BODY)
        if len(rows) > MAX_ROWS:
            return _json_reply(400, _too_large_body(len(rows)))
        count = len(rows) + (1 if fault_kind == "record_count_mismatch" else 0)
        return _json_reply(
            200,
            {
                "success": True,
                "data": [_typed(row) for row in rows],
                "metadata": {"dataType": DATA_TYPE[segment], "recordCount": count},
            },
        )

    def expected_rows_for(
        self, segment: str, window: Window, group_by: str | None, settings: WorkspaceSettings
    ) -> list[dict[str, str]]:
        if settings.bulk_rows is None:
            return self.data.rows(segment, window, group_by, settings)
        columns = self._columns(segment, group_by, settings)
        rows = self.data.bulk_rows(segment, window, group_by, settings, settings.bulk_rows)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    @staticmethod
    def _columns(segment: str, group_by: str | None, settings: WorkspaceSettings) -> list[str]:
        return columns_for(
            segment,
            privacy=settings.privacy,
            byok=settings.byok,
            extra_column=settings.extra_column,
            group_by=group_by,
        )

    def _csv_envelope(
        self,
        segment: str,
        window: Window,
        group_by: str | None,
        settings: WorkspaceSettings,
        fault_kind: str | None,
    ) -> _Reply:
        self._store.sweep()
        columns = self._columns(segment, group_by, settings)
        body_rows: Iterable[list[str]]
        if settings.bulk_rows is not None:
            count = settings.bulk_rows
            if count > MAX_ROWS:
                return _json_reply(400, _too_large_body(count))
            body_rows = self.data.bulk_rows(segment, window, group_by, settings, count)
        else:
            rows = self.data.rows(segment, window, group_by, settings)
            count = len(rows)
            if count > MAX_ROWS:
                return _json_reply(400, _too_large_body(count))
            body_rows = ([row[c] for c in columns] for row in rows)
        if count == 0:
            return _json_reply(404, _NO_DATA_BODY)
        file_id = self._store.new_id()
        with self._store.path_for(file_id).open("w", encoding="utf-8", newline="") as sink:
            if settings.bom:
                sink.write("\ufeff")
            writer = csv.writer(sink, lineterminator="\r\n")
            writer.writerow(columns)
            writer.writerows(body_rows)
        stored = self._store.register(file_id, segment, count, settings.url_ttl_seconds)
        query = self._store.url_query(stored, expired=fault_kind == "expired_url")
        file_path = (
            f"{segment}-usage/{self.data.org_id}/{segment}-usage-"
            f"{window.from_local.date().isoformat()}-{window.to_local.date().isoformat()}-"
            f"{file_id[:8]}.csv"
        )
        data: dict[str, Any] = {
            "filePath": file_path,
            "downloadUrl": f"{self.url}/storage/{file_id}.csv?{query}",
            "dataType": DATA_TYPE[segment],
            "recordCount": count + (1 if fault_kind == "record_count_mismatch" else 0),
            "dateRange": {
                "from": iso_with_offset(window.from_local),
                "to": iso_with_offset(window.to_local),
            },
        }
        if fault_kind == "missing_download_url":
            del data["downloadUrl"]
        elif fault_kind == "bad_download_url":
            data["downloadUrl"] = "ftp://example.invalid/x.csv"
        return _json_reply(200, {"success": True, "data": data})

    def _download(self, path: str, file_id: str, query: str, headers: Any) -> _Reply:
        had_authorization = headers.get("Authorization") is not None
        params = parse_qs(query)
        reason = self._store.check(file_id, _first(params, "expires"), _first(params, "signature"))
        stored = self._store.get(file_id)
        if reason is None and stored is None:
            reason = "NoSuchKey:The specified key does not exist."
        servable = reason is None and stored is not None
        allowed = (
            frozenset({"download_reset", "truncate", "storage_403"}) | CONTENT_KINDS
            if servable
            else frozenset({"download_reset"})
        )
        export_type = stored.export_type if stored is not None else None
        fault = self._faults.take("download", export_type, allowed, path)
        reply = self._download_reply(stored, reason, fault)
        with self._lock:
            if had_authorization:
                self.storage_saw_authorization += 1
            self.download_requests.append(
                DownloadLog(file_id, 0 if reply.reset else reply.status, had_authorization)
            )
        return reply

    def _download_reply(
        self, stored: StoredFile | None, reason: str | None, fault: Fault | None
    ) -> _Reply:
        kind = fault.kind if fault is not None else None
        if kind == "download_reset":
            return _Reply(0, reset=True)
        if kind == "storage_403":
            return _xml_error(403, "AccessDenied:Access Denied")
        if reason is not None or stored is None:
            status = 404 if reason is not None and reason.startswith("NoSuchKey") else 403
            return _xml_error(status, reason or "NoSuchKey:The specified key does not exist.")
        headers: dict[str, str] = {}
        reply = _Reply(200, content_type="text/csv; charset=utf-8", headers=headers)
        if kind in CONTENT_KINDS:
            assert kind is not None
            reply.body = corrupt_csv(kind, stored.path.read_bytes(), stored.export_type)
            if self.settings.gzip:
                reply.body = gzip.compress(reply.body)
        elif self.settings.gzip:
            reply.file = self._store.gzip_path(stored)
        else:
            reply.file = stored.path
        if self.settings.gzip:
            headers["Content-Encoding"] = "gzip"
        reply.truncate = kind == "truncate"
        return reply

    # --- admin routes ----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        with self._lock:
            counts = {
                "export_requests": len(self.export_requests),
                "download_requests": len(self.download_requests),
                "faults_injected": len(self._faults.log),
                "storage_saw_authorization": self.storage_saw_authorization,
            }
        return {
            "url": self.url,
            "seed": self.seed,
            "org_id": self.data.org_id,
            "settings": self.settings.to_json(),
            "counts": counts,
            "pending_faults": [dataclasses.asdict(f) for f in self._faults.pending()],
            "load": self.load.counts(),
        }

    def _admin(self, method: str, path: str, raw: bytes) -> _Reply:
        try:
            payload: object = json.loads(raw) if raw else None
        except ValueError:
            return _json_reply(400, {"error": "Bad Request", "message": "Invalid JSON body"})
        routes: dict[tuple[str, str], Callable[[object], object]] = {
            ("GET", "/_emulator/state"): lambda _: self.state(),
            ("GET", "/_emulator/requests"): lambda _: self._requests_json(),
            ("POST", "/_emulator/settings"): self._admin_settings,
            ("POST", "/_emulator/faults"): self._admin_faults,
            ("POST", "/_emulator/random-faults"): self._admin_random,
            ("POST", "/_emulator/reset"): self._admin_reset,
        }
        route = routes.get((method, path.rstrip("/")))
        if route is None and method == "GET" and path.startswith("/_emulator/entities/"):
            export_type = path.rsplit("/", 1)[1]
            route = lambda _: self._admin_entities(export_type)  # noqa: E731
        if route is None:
            return _json_reply(404, {"error": "Not Found", "message": f"No admin route {path}"})
        try:
            return _json_reply(200, route(payload))
        except (ValueError, TypeError) as exc:
            return _json_reply(400, {"error": "Bad Request", "message": str(exc)})

    def _admin_reset(self, payload: object) -> object:
        self.reset()
        return self.state()

    def _admin_settings(self, payload: object) -> object:
        apply_settings_patch(self.settings, payload if payload is not None else {})
        return self.settings.to_json()

    def _admin_faults(self, payload: object) -> object:
        items = payload if isinstance(payload, list) else [payload]
        faults = [Fault.from_json(item) for item in items]
        for fault in faults:
            self.add_fault(fault)
        return {"queued": len(faults)}

    def _admin_entities(self, export_type: str) -> object:
        if export_type not in EXPORT_TYPES:
            raise ValueError(f"unknown export type {export_type!r}")
        return self.entity_ids(export_type)

    def _admin_random(self, payload: object) -> object:
        if not isinstance(payload, dict):
            raise ValueError("expected {'rate': .., 'seed': .., 'kinds': [..]}")
        kinds_raw = payload.get("kinds")
        kinds: list[str | Fault] | None = None
        if kinds_raw is not None:
            if not isinstance(kinds_raw, list):
                raise ValueError("kinds must be a list")
            kinds = [k if isinstance(k, str) else Fault.from_json(k) for k in kinds_raw]
        self.set_random_faults(
            payload.get("rate"),
            int(payload.get("seed", 0)),
            kinds,
            slow_delay=float(payload.get("slow_delay", 0.2)),
        )
        return {"random_faults": payload.get("rate")}

    def _requests_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "exports": [dataclasses.asdict(e) for e in self.export_requests],
                "downloads": [dataclasses.asdict(d) for d in self.download_requests],
                "faults": [list(f) for f in self._faults.log],
                "storage_saw_authorization": self.storage_saw_authorization,
            }
