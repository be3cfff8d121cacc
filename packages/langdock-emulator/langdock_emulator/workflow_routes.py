"""The Workflow API's routes: a thin adapter from the router to `WorkflowApi.handle`.

Shaped like `audit_api.AuditApi`: the emulator lists it once, beside the other APIs.
"""

from __future__ import annotations

from langdock_emulator.api_reply import ApiReply
from langdock_emulator.router import Request, Route
from langdock_emulator.workflow_api import WORKFLOW_ROUTE, WorkflowApi
from langdock_emulator.workspace import Workspace


class WorkflowRoutes:
    def __init__(self, workflows: WorkflowApi, workspace: Workspace) -> None:
        self._workflows = workflows
        self._workspace = workspace

    def routes(self) -> list[Route]:
        return [Route(WORKFLOW_ROUTE, self.handle)]

    def handle(self, request: Request) -> ApiReply:
        # The usage key is read per request: without a Workflow API key of its own, the
        # workspace's key carries the WORKFLOW_API scope.
        return self._workflows.handle(
            request.method,
            request.match.group(1),
            request.query,
            request.headers,
            self._workspace.api_key,
        )
