"""The ``Emulator``: one workspace's Langdock APIs on 127.0.0.1, and the handle tests hold.

The work happens in rooms: `wire` (HTTP), `router`, one module per API (`usage_api`,
`downloads`, `audit_api`, `admin_api`), `faults`, `rate_limit`, `load` and the data modules.
This class builds them, lists the APIs for the router and offers the test-facing methods.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from langdock_emulator.admin_api import AdminApi
from langdock_emulator.audit_api import AuditApi
from langdock_emulator.audit_log import AuditLog, AuditSettings
from langdock_emulator.closing import Closing
from langdock_emulator.columns import EXPORT_TYPES, check_group_by
from langdock_emulator.data import UsageData
from langdock_emulator.dates import Window, local_window
from langdock_emulator.downloads import Downloads
from langdock_emulator.faults import Fault, FaultSchedule
from langdock_emulator.load import ExportLoad
from langdock_emulator.logs import DownloadLog, ExportRequestLog, RequestRecords
from langdock_emulator.rate_limit import RateLimiter
from langdock_emulator.router import Api, Router
from langdock_emulator.settings import WorkspaceSettings
from langdock_emulator.storage import FileStore, IssuedFile
from langdock_emulator.usage_api import UsageApi, UsageParts
from langdock_emulator.wire import Reply, WireServer
from langdock_emulator.workflow_api import WorkflowApi
from langdock_emulator.workflow_routes import WorkflowRoutes
from langdock_emulator.workspace import DEFAULT_API_KEY, Workspace

__all__ = ["DEFAULT_API_KEY", "Emulator"]


class Emulator(Closing):
    """A Langdock Usage Export API (and Audit Logs API) on 127.0.0.1, started on construction.

    Use as a context manager or call ``close()``. ``settings`` may be changed at any time;
    every request reads it afresh. ``workspace`` replaces ``api_key``, ``seed`` and
    ``settings`` when given (its settings object is then the live one); ``audit_settings``
    configure the Audit Logs API (`emu.audit.settings`, reset to them by ``reset()``);
    ``workflows`` replaces the default Workflow API (e.g. one with another period).
    With ``gateway_url`` no server starts: a `tenants.MultiEmulator` serving several
    workspaces at that URL hands this workspace its requests (``dispatch``).
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
        workspace: Workspace | None = None,
        audit_settings: AuditSettings | None = None,
        workflows: WorkflowApi | None = None,
        gateway_url: str | None = None,
    ) -> None:
        if workspace is None:
            live = settings.copy() if settings is not None else WorkspaceSettings()
            workspace = Workspace(seed, api_key, live)
        self.workspace = workspace
        self.verbose = verbose
        self._initial_settings = workspace.settings.copy()
        self.data = UsageData(workspace)
        # The Audit Logs API of the same workspace (its id is the exports' org_id).
        self.audit = AuditLog(workspace.seed, workspace.org_id, settings=audit_settings)
        # The Workflow API (`emu.workflows`: its settings, clock, faults and ground truth).
        self.workflows = workflows or WorkflowApi(workspace.seed)
        self.load = ExportLoad()
        self._records = RequestRecords()
        self._faults = FaultSchedule()
        self._store = FileStore(workspace.seed)
        self._limiter = RateLimiter()
        self._usage = UsageApi(
            UsageParts(
                workspace, self.data, self._store, self._faults, self.load,
                self._limiter, self._records, lambda: self.url,
            )
        )  # fmt: skip
        self._router = Router(self._apis())
        self._closed = False
        self._gateway_url = gateway_url
        self._server: WireServer | None = None
        self.host, self.port = host, port
        if gateway_url is None:
            self._server = WireServer((host, port), self)
            self.host, self.port = self._server.host_port
            self._server.start(f"langdock-emulator-{self.port}")

    def _apis(self) -> list[Api]:
        """Every API this server answers, tried in this order; a new API is one more line."""
        return [
            AdminApi(self),
            Downloads(self._store, self._faults, self._records, lambda: self.settings),
            AuditApi(self.audit, self.workspace),
            WorkflowRoutes(self.workflows, self.workspace),
            self._usage,
        ]

    def dispatch(self, method: str, raw_path: str, headers: Any, body: bytes) -> Reply:
        return self._router.dispatch(method, raw_path, headers, body)

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._gateway_url is not None:
            return self._gateway_url
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._server is not None:
            self._server.stop()
        self._store.close()

    # --- the workspace ---------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        return self.workspace.api_key

    @property
    def seed(self) -> int:
        return self.workspace.seed

    @property
    def settings(self) -> WorkspaceSettings:
        return self.workspace.settings

    @settings.setter
    def settings(self, value: WorkspaceSettings) -> None:
        self.workspace.settings = value

    # --- what the client sent and got ------------------------------------------------------

    @property
    def export_requests(self) -> list[ExportRequestLog]:
        return self._records.exports

    @property
    def download_requests(self) -> list[DownloadLog]:
        return self._records.downloads

    @property
    def storage_saw_authorization(self) -> int:
        """Storage requests that carried an Authorization header (the key must never go there)."""
        return self._records.storage_saw_authorization

    def holds_file(self, file_id: str) -> bool:
        """Whether this workspace issued the export file (a gateway routes downloads by it)."""
        return self._store.get(file_id) is not None

    def issued_files(self) -> tuple[IssuedFile, ...]:
        """Every export file issued since construction or ``reset``, oldest first."""
        return self._store.issued()

    # --- faults ----------------------------------------------------------------------------

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
        self._faults.log.clear()
        self._records.clear()
        self._limiter.reset()
        self.load.reset()
        self.audit.reset()
        self.workflows.reset()
        _restore_in_place(self.settings, self._initial_settings.copy())
        self._store.clear()

    # --- ground truth ----------------------------------------------------------------------

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
        window = local_window(from_local, to_local, timezone)
        group = check_group_by(export_type, group_by, byok=self.settings.byok)
        return self.expected_rows_for(export_type, window, group, self.settings)

    def expected_rows_for(
        self, segment: str, window: Window, group_by: str | None, settings: WorkspaceSettings
    ) -> list[dict[str, str]]:
        return self._usage.rows_for(segment, window, group_by, settings)

    # --- admin views -----------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        records = self._records.counts()
        counts = {
            "export_requests": records["export_requests"],
            "download_requests": records["download_requests"],
            "faults_injected": len(self._faults.log),
            "storage_saw_authorization": records["storage_saw_authorization"],
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

    def requests_json(self) -> dict[str, Any]:
        return {**self._records.to_json(), "faults": [list(f) for f in self._faults.log]}


def _restore_in_place(settings: WorkspaceSettings, initial: WorkspaceSettings) -> None:
    """In place, so references a test took to ``emu.settings`` stay live."""
    for field in dataclasses.fields(initial):
        setattr(settings, field.name, getattr(initial, field.name))
