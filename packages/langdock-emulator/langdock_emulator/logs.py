"""Records of what the client under test sent, for assertions."""

from __future__ import annotations

import dataclasses


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
