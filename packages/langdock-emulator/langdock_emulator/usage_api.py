"""The Usage Export API: ``POST /export/{type}`` (a CSV envelope) and ``/export/{type}/json``.

Checks come in the order the real API applies them: faults, the key, the export type, the
rate limit, the body, then the workspace's capacity (`load`); only then are rows generated.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from langdock_emulator.columns import DATA_TYPE, EXPORT_TYPES, check_group_by, columns_for
from langdock_emulator.data import MAX_ROWS, UsageData
from langdock_emulator.dates import BadRequestError, Window, iso_with_offset, window_from_body
from langdock_emulator.downloads import write_csv
from langdock_emulator.faults import CSV_ENVELOPE_KINDS, EXPORT_KINDS, Fault, FaultSchedule
from langdock_emulator.load import CONCURRENCY_BODY, CONCURRENCY_RETRY_AFTER_SECONDS, ExportLoad
from langdock_emulator.logs import ExportRequestLog, RequestRecords
from langdock_emulator.rate_limit import RateLimiter
from langdock_emulator.router import Request, Route
from langdock_emulator.settings import WorkspaceSettings
from langdock_emulator.storage import FileStore, IssuedFile
from langdock_emulator.usage_replies import (
    NO_DATA_BODY,
    RATE_LIMIT_BODY,
    UNAUTHORIZED_BODY,
    fault_reply,
    too_large_body,
    typed,
)
from langdock_emulator.wire import Reply, error_reply, json_reply
from langdock_emulator.workspace import Workspace

EXPORT_ROUTE = re.compile(r"(?:/api/public)?/export/([^/]+)(?:/(csv|json))?/?")
_INVALID_JSON = object()


@dataclasses.dataclass(frozen=True)
class UsageParts:
    """What the export routes share with the rest of the emulator."""

    workspace: Workspace
    data: UsageData
    store: FileStore
    faults: FaultSchedule
    load: ExportLoad
    limiter: RateLimiter
    records: RequestRecords
    base_url: Callable[[], str]


def _as_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _sub(body: object, key: str) -> dict[str, Any]:
    part = body.get(key) if isinstance(body, dict) else None
    return part if isinstance(part, dict) else {}


def _columns(segment: str, group_by: str | None, settings: WorkspaceSettings) -> list[str]:
    return columns_for(
        segment,
        privacy=settings.privacy,
        byok=settings.byok,
        extra_column=settings.extra_column,
        group_by=group_by,
    )


class UsageApi:
    def __init__(self, parts: UsageParts) -> None:
        self._parts = parts
        self._workspace = parts.workspace
        self._data = parts.data

    def routes(self) -> list[Route]:
        return [Route(EXPORT_ROUTE, self.export)]

    def export(self, request: Request) -> Reply:
        if request.method != "POST":
            return json_reply(
                405,
                {"error": "Method Not Allowed", "message": "Export routes accept POST only"},
                {"Allow": "POST"},
            )
        segment, fmt = request.match.group(1), request.match.group(2) or "csv"
        authorized = self._authorized(request.headers)
        try:
            body: object = json.loads(request.body) if request.body else None
        except (ValueError, UnicodeDecodeError):
            body = _INVALID_JSON
        allowed = EXPORT_KINDS if fmt == "csv" else EXPORT_KINDS - CSV_ENVELOPE_KINDS
        fault = self._parts.faults.take("export", segment, allowed, request.path)
        reply = self._reply(segment, fmt, authorized, body, fault)
        start, end = _sub(body, "from"), _sub(body, "to")
        entry = ExportRequestLog(
            export_type=segment,
            route=request.path,
            from_date=_as_text(start.get("date")),
            from_timezone=_as_text(start.get("timezone")),
            to_date=_as_text(end.get("date")),
            to_timezone=_as_text(end.get("timezone")),
            group_by=_as_text(body.get("group_by")) if isinstance(body, dict) else None,
            status=0 if reply.reset else reply.status,
            authorized=authorized,
        )
        self._parts.records.add_export(entry)
        return reply

    def _authorized(self, headers: Any) -> bool:
        value = headers.get("Authorization") or ""
        scheme, _, token = value.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), self._workspace.api_key.encode()
        )

    def _reply(
        self, segment: str, fmt: str, authorized: bool, body: object, fault: Fault | None
    ) -> Reply:
        if fault is not None:
            immediate = fault_reply(fault)
            if immediate is not None:
                return immediate
            if fault.kind == "slow":
                time.sleep(fault.delay if fault.delay is not None else 1.0)
        rejection = self._reject(segment, authorized)
        if rejection is not None:
            return rejection
        settings = self._workspace.settings
        try:
            if body is _INVALID_JSON:
                raise BadRequestError("Invalid JSON body")
            window = window_from_body(body)
            assert isinstance(body, dict)  # window_from_body rejects anything else
            group_by = check_group_by(segment, body.get("group_by"), byok=settings.byok)
        except BadRequestError as exc:
            return error_reply(400, "Bad Request", str(exc))
        with self._parts.load.admit(settings) as latency:
            if latency is None:
                retry = {"Retry-After": str(CONCURRENCY_RETRY_AFTER_SECONDS)}
                return json_reply(429, CONCURRENCY_BODY, retry)
            if latency > 0:
                time.sleep(latency)
            kind = fault.kind if fault is not None else None
            if fmt == "json":
                return self._json_rows(segment, window, group_by, settings, kind)
            return self._csv_envelope(segment, window, group_by, settings, kind)

    def _reject(self, segment: str, authorized: bool) -> Reply | None:
        """401, 404 or 429 before the body is even looked at, as the real API orders them."""
        if not authorized:
            return json_reply(401, UNAUTHORIZED_BODY)
        if segment not in EXPORT_TYPES:
            message = f"Unknown export type '{segment}'. Supported: {', '.join(EXPORT_TYPES)}"
            return error_reply(404, "Not Found", message)
        limit = self._workspace.settings.rate_limit_per_minute
        retry_after = self._parts.limiter.wait(self._workspace.api_key, limit)
        if retry_after is not None:
            return json_reply(429, RATE_LIMIT_BODY, {"Retry-After": str(retry_after)})
        return None

    def _json_rows(
        self,
        segment: str,
        window: Window,
        group_by: str | None,
        settings: WorkspaceSettings,
        fault_kind: str | None,
    ) -> Reply:
        if settings.bulk_rows is not None and settings.bulk_rows > MAX_ROWS:
            return json_reply(400, too_large_body(settings.bulk_rows))
        rows = self.rows_for(segment, window, group_by, settings)
        if not rows:
            return json_reply(404, NO_DATA_BODY)
        if len(rows) > MAX_ROWS:
            return json_reply(400, too_large_body(len(rows)))
        count = len(rows) + (1 if fault_kind == "record_count_mismatch" else 0)
        return json_reply(
            200,
            {
                "success": True,
                "data": [typed(row) for row in rows],
                "metadata": {"dataType": DATA_TYPE[segment], "recordCount": count},
            },
        )

    def rows_for(
        self, segment: str, window: Window, group_by: str | None, settings: WorkspaceSettings
    ) -> list[dict[str, str]]:
        """The data rows of an export with this window now, as dicts (bulk mode included)."""
        if settings.bulk_rows is None:
            return self._data.rows(segment, window, group_by, settings)
        columns = _columns(segment, group_by, settings)
        rows = self._data.bulk_rows(segment, window, group_by, settings, settings.bulk_rows)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def _body_rows(
        self, segment: str, window: Window, group_by: str | None, settings: WorkspaceSettings
    ) -> tuple[int, Iterable[list[str]]]:
        """(row count, the rows as lists in column order), the bulk ones generated lazily."""
        if settings.bulk_rows is not None:
            count = settings.bulk_rows
            if count > MAX_ROWS:
                return count, ()
            return count, self._data.bulk_rows(segment, window, group_by, settings, count)
        columns = _columns(segment, group_by, settings)
        rows = self._data.rows(segment, window, group_by, settings)
        return len(rows), ([row[c] for c in columns] for row in rows)

    def _csv_envelope(
        self,
        segment: str,
        window: Window,
        group_by: str | None,
        settings: WorkspaceSettings,
        fault_kind: str | None,
    ) -> Reply:
        store = self._parts.store
        store.sweep()
        count, body_rows = self._body_rows(segment, window, group_by, settings)
        if count > MAX_ROWS:
            return json_reply(400, too_large_body(count))
        if count == 0:
            return json_reply(404, NO_DATA_BODY)
        file_id = store.new_id()
        columns = _columns(segment, group_by, settings)
        write_csv(store.path_for(file_id), columns, body_rows, bom=settings.bom)
        stored = store.register(file_id, segment, count, settings.url_ttl_seconds)
        expires, signature = store.signed(stored, expired=fault_kind == "expired_url")
        file_path = (
            f"{segment}-usage/{self._workspace.org_id}/{segment}-usage-"
            f"{window.from_local.date().isoformat()}-{window.to_local.date().isoformat()}-"
            f"{file_id[:8]}.csv"
        )
        download_url: str | None = (
            f"{self._parts.base_url()}/storage/{file_id}.csv"
            f"?expires={expires}&signature={signature}"
        )
        if fault_kind == "missing_download_url":
            download_url = None
        elif fault_kind == "bad_download_url":
            download_url = "ftp://example.invalid/x.csv"
        store.record(
            IssuedFile(
                file_id,
                segment,
                count,
                file_path,
                download_url,
                expires,
                signature,
                stored.expires_at,
            )
        )
        data: dict[str, Any] = {
            "filePath": file_path,
            "downloadUrl": download_url,
            "dataType": DATA_TYPE[segment],
            "recordCount": count + (1 if fault_kind == "record_count_mismatch" else 0),
            "dateRange": {
                "from": iso_with_offset(window.from_local),
                "to": iso_with_offset(window.to_local),
            },
        }
        if download_url is None:
            del data["downloadUrl"]
        return json_reply(200, {"success": True, "data": data})
