"""Records of what the client under test sent, for assertions."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any


@dataclasses.dataclass(frozen=True)
class ExportRequestLog:
    """One POST to an export route. ``status`` is 0 when the connection was reset instead."""

    export_type: str
    route: str
    from_date: str | None
    from_timezone: str | None
    to_date: str | None
    to_timezone: str | None
    group_by: str | None
    status: int
    authorized: bool


@dataclasses.dataclass(frozen=True)
class DownloadLog:
    """One GET to storage. ``status`` is 0 when the connection was reset instead."""

    file_id: str
    status: int
    had_authorization: bool


class RequestRecords:
    """Every export and download request so far, appended from many server threads."""

    def __init__(self) -> None:
        self.exports: list[ExportRequestLog] = []
        self.downloads: list[DownloadLog] = []
        self.storage_saw_authorization = 0
        self._lock = threading.Lock()

    def add_export(self, entry: ExportRequestLog) -> None:
        with self._lock:
            self.exports.append(entry)

    def add_download(self, entry: DownloadLog) -> None:
        with self._lock:
            if entry.had_authorization:
                self.storage_saw_authorization += 1
            self.downloads.append(entry)

    def clear(self) -> None:
        # In place: tests hold references to ``emu.export_requests``.
        with self._lock:
            self.exports.clear()
            self.downloads.clear()
            self.storage_saw_authorization = 0

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                "export_requests": len(self.exports),
                "download_requests": len(self.downloads),
                "storage_saw_authorization": self.storage_saw_authorization,
            }

    def to_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "exports": [dataclasses.asdict(e) for e in self.exports],
                "downloads": [dataclasses.asdict(d) for d in self.downloads],
                "storage_saw_authorization": self.storage_saw_authorization,
            }
