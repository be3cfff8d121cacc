"""The Audit Logs API's routes: a thin adapter from the router to `AuditLog.handle`.

This is the shape for any further API (a Workflow API, say): an object with ``routes()``
whose handlers take a `router.Request` and return a reply with status, body, content_type,
headers and reset. The emulator lists it once, beside the others.
"""

from __future__ import annotations

from langdock_emulator.api_reply import ApiReply
from langdock_emulator.audit_log import AUDIT_ROUTE, AuditLog
from langdock_emulator.router import Request, Route
from langdock_emulator.workspace import Workspace


class AuditApi:
    def __init__(self, audit: AuditLog, workspace: Workspace) -> None:
        self._audit = audit
        self._workspace = workspace

    def routes(self) -> list[Route]:
        return [Route(AUDIT_ROUTE, self.handle)]

    def handle(self, request: Request) -> ApiReply:
        # The workspace's usage key is read per request: it may answer 403 (no audit scope).
        return self._audit.handle(
            request.method,
            request.match.group(1),
            request.query,
            request.headers,
            self._workspace.api_key,
        )
