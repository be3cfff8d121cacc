"""The storage host: export files written once, served behind their signed, expiring URLs.

Like an S3/GCS presigned download it wants no Authorization header (and counts any it sees,
since the API key must never reach it), answers S3-style XML errors and may gzip the body.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from urllib.parse import parse_qs

from langdock_emulator.faults import CONTENT_KINDS, Fault, FaultSchedule, corrupt_csv
from langdock_emulator.logs import DownloadLog, RequestRecords
from langdock_emulator.router import Request, Route
from langdock_emulator.settings import WorkspaceSettings
from langdock_emulator.storage import FileStore, StoredFile
from langdock_emulator.wire import Reply, xml_error

STORAGE_ROUTE = re.compile(r"/storage/([0-9a-f]+)\.csv")
_NO_SUCH_KEY = "NoSuchKey:The specified key does not exist."
_SERVABLE_FAULTS = frozenset({"download_reset", "truncate", "storage_403"}) | CONTENT_KINDS


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[list[str]], *, bom: bool) -> None:
    """The export file as Langdock writes it: CRLF line ends, minimal quoting."""
    with path.open("w", encoding="utf-8", newline="") as sink:
        if bom:
            sink.write("\ufeff")
        writer = csv.writer(sink, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows(rows)


def _first(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


class Downloads:
    """``GET /storage/{file id}.csv?expires=..&signature=..``."""

    def __init__(
        self,
        store: FileStore,
        faults: FaultSchedule,
        records: RequestRecords,
        settings: Callable[[], WorkspaceSettings],
    ) -> None:
        self._store = store
        self._faults = faults
        self._records = records
        self._settings = settings

    def routes(self) -> list[Route]:
        return [Route(STORAGE_ROUTE, self.download, frozenset({"GET"}))]

    def download(self, request: Request) -> Reply:
        file_id = request.match.group(1)
        had_authorization = request.headers.get("Authorization") is not None
        params = parse_qs(request.query)
        reason = self._store.check(file_id, _first(params, "expires"), _first(params, "signature"))
        stored = self._store.get(file_id)
        if reason is None and stored is None:
            reason = _NO_SUCH_KEY
        servable = reason is None and stored is not None
        allowed = _SERVABLE_FAULTS if servable else frozenset({"download_reset"})
        export_type = stored.export_type if stored is not None else None
        fault = self._faults.take("download", export_type, allowed, request.path)
        reply = self._reply(stored, reason, fault)
        status = 0 if reply.reset else reply.status
        self._records.add_download(DownloadLog(file_id, status, had_authorization))
        return reply

    def _reply(self, stored: StoredFile | None, reason: str | None, fault: Fault | None) -> Reply:
        kind = fault.kind if fault is not None else None
        if kind == "download_reset":
            return Reply(0, reset=True)
        if kind == "storage_403":
            return xml_error(403, "AccessDenied:Access Denied")
        if reason is not None or stored is None:
            status = 404 if reason is not None and reason.startswith("NoSuchKey") else 403
            return xml_error(status, reason or _NO_SUCH_KEY)
        zipped = self._settings().gzip
        headers: dict[str, str] = {}
        reply = Reply(200, content_type="text/csv; charset=utf-8", headers=headers)
        if kind in CONTENT_KINDS:
            assert kind is not None
            reply.body = corrupt_csv(kind, stored.path.read_bytes(), stored.export_type)
            if zipped:
                reply.body = gzip.compress(reply.body)
        elif zipped:
            reply.file = self._store.gzip_path(stored)
        else:
            reply.file = stored.path
        if zipped:
            headers["Content-Encoding"] = "gzip"
        reply.truncate = kind == "truncate"
        return reply
