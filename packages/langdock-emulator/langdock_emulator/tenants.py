"""Several Langdock workspaces behind one server: each API key is its own workspace.

A partner or a group with several deployments holds one key per workspace; each key reads
only its own workspace (its ``org_id``, its data, its audit log, its rate budget). The
gateway owns the socket and hands each request to the workspace its Bearer key names.
Signed storage URLs carry no key, so downloads go to the workspace that issued the file.
A request with an unknown or missing key goes to the first workspace, which refuses it the
way a one-workspace server does (401).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from langdock_emulator.audit_log import AuditSettings
from langdock_emulator.closing import Closing
from langdock_emulator.downloads import STORAGE_ROUTE
from langdock_emulator.server import Emulator
from langdock_emulator.wire import Reply, WireServer
from langdock_emulator.workspace import Workspace

# Partition-key-like names: they end up in Dagster partition keys and env var names.
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")


class MultiEmulator(Closing):
    """One server on 127.0.0.1 answering several workspaces, started on construction.

    ``workspaces`` maps a name (used by tests and the CLI, never sent to Langdock) to its
    `Workspace`; keys and seeds must differ (the seed names the export files). Each
    workspace's own `Emulator` (no socket of its own) is ``emu.workspace(name)``: its ground
    truth, settings, faults and request logs are that workspace's alone.
    """

    def __init__(
        self,
        workspaces: Mapping[str, Workspace],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        verbose: bool = False,
        audit_settings: AuditSettings | None = None,
    ) -> None:
        _check(workspaces)
        self.verbose = verbose
        self._server = WireServer((host, port), self)
        self.host, self.port = self._server.host_port
        self._tenants = {
            name: Emulator(
                workspace=workspace,
                verbose=verbose,
                audit_settings=audit_settings,
                gateway_url=self.url,
            )
            for name, workspace in workspaces.items()
        }
        self._by_key = {tenant.api_key: tenant for tenant in self._tenants.values()}
        self._closed = False
        self._server.start(f"langdock-emulator-multi-{self.port}")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def names(self) -> list[str]:
        return list(self._tenants)

    def workspace(self, name: str) -> Emulator:
        return self._tenants[name]

    @property
    def api_key(self) -> str:
        # The wire masks this key in verbose request lines; paths never carry any key.
        return next(iter(self._by_key))

    def dispatch(self, method: str, raw_path: str, headers: Any, body: bytes) -> Reply:
        return self._tenant_for(raw_path, headers).dispatch(method, raw_path, headers, body)

    def _tenant_for(self, raw_path: str, headers: Any) -> Emulator:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and token.strip() in self._by_key:
            return self._by_key[token.strip()]
        download = STORAGE_ROUTE.fullmatch(urlsplit(raw_path).path)
        if download is not None:
            for tenant in self._tenants.values():
                if tenant.holds_file(download.group(1)):
                    return tenant
        return next(iter(self._tenants.values()))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._server.stop()
        for tenant in self._tenants.values():
            tenant.close()


def _check(workspaces: Mapping[str, Workspace]) -> None:
    """Raises ValueError naming the workspace whose name, key or seed cannot be served."""
    if not workspaces:
        raise ValueError("MultiEmulator needs at least one workspace")
    keys: dict[str, str] = {}
    seeds: dict[int, str] = {}
    for name, workspace in workspaces.items():
        if not NAME_PATTERN.fullmatch(name):
            raise ValueError(f"workspace {name!r}: use lower-case letters, digits, '-' and '_'")
        if workspace.api_key in keys:
            raise ValueError(f"workspace {name!r}: same API key as {keys[workspace.api_key]!r}")
        if workspace.seed in seeds:
            raise ValueError(f"workspace {name!r}: same seed as {seeds[workspace.seed]!r}")
        keys[workspace.api_key] = name
        seeds[workspace.seed] = name
