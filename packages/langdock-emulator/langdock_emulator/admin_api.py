"""The emulator's own routes under ``/_emulator/``: state, settings, faults, reset, entities.

They drive a running emulator from another process (the standalone CLI, CI scripts); tests
in the same process call the `Emulator` methods directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from langdock_emulator.columns import EXPORT_TYPES
from langdock_emulator.faults import Fault
from langdock_emulator.router import Request, Route
from langdock_emulator.settings import WorkspaceSettings, apply_settings_patch
from langdock_emulator.wire import Reply, error_reply, json_reply

ADMIN_ROUTE = re.compile(r"/_emulator/.*")


class AdminTarget(Protocol):
    """The parts of `Emulator` the admin routes drive."""

    @property
    def settings(self) -> WorkspaceSettings: ...

    def state(self) -> dict[str, Any]: ...

    def requests_json(self) -> dict[str, Any]: ...

    def reset(self) -> None: ...

    def add_fault(self, fault: Fault) -> None: ...

    def set_random_faults(
        self,
        rate: float | None,
        seed: int = 0,
        kinds: Sequence[str | Fault] | None = None,
        *,
        slow_delay: float = 0.2,
    ) -> None: ...

    def entity_ids(self, export_type: str) -> list[str]: ...


class AdminApi:
    def __init__(self, target: AdminTarget) -> None:
        self._target = target

    def routes(self) -> list[Route]:
        return [Route(ADMIN_ROUTE, self.handle)]

    def handle(self, request: Request) -> Reply:
        method, path = request.method, request.path
        try:
            payload: object = json.loads(request.body) if request.body else None
        except ValueError:
            return error_reply(400, "Bad Request", "Invalid JSON body")
        target = self._target
        routes: dict[tuple[str, str], Callable[[object], object]] = {
            ("GET", "/_emulator/state"): lambda _: target.state(),
            ("GET", "/_emulator/requests"): lambda _: target.requests_json(),
            ("POST", "/_emulator/settings"): self._settings,
            ("POST", "/_emulator/faults"): self._faults,
            ("POST", "/_emulator/random-faults"): self._random,
            ("POST", "/_emulator/reset"): self._reset,
        }
        route = routes.get((method, path.rstrip("/")))
        if route is None and method == "GET" and path.startswith("/_emulator/entities/"):
            export_type = path.rsplit("/", 1)[1]
            route = lambda _: self._entities(export_type)  # noqa: E731
        if route is None:
            return error_reply(404, "Not Found", f"No admin route {path}")
        try:
            return json_reply(200, route(payload))
        except (ValueError, TypeError) as exc:
            return error_reply(400, "Bad Request", str(exc))

    def _reset(self, payload: object) -> object:
        self._target.reset()
        return self._target.state()

    def _settings(self, payload: object) -> object:
        settings = self._target.settings
        apply_settings_patch(settings, payload if payload is not None else {})
        return settings.to_json()

    def _faults(self, payload: object) -> object:
        items = payload if isinstance(payload, list) else [payload]
        faults = [Fault.from_json(item) for item in items]
        for fault in faults:
            self._target.add_fault(fault)
        return {"queued": len(faults)}

    def _entities(self, export_type: str) -> object:
        if export_type not in EXPORT_TYPES:
            raise ValueError(f"unknown export type {export_type!r}")
        return self._target.entity_ids(export_type)

    def _random(self, payload: object) -> object:
        if not isinstance(payload, dict):
            raise ValueError("expected {'rate': .., 'seed': .., 'kinds': [..]}")
        kinds_raw = payload.get("kinds")
        kinds: list[str | Fault] | None = None
        if kinds_raw is not None:
            if not isinstance(kinds_raw, list):
                raise ValueError("kinds must be a list")
            kinds = [k if isinstance(k, str) else Fault.from_json(k) for k in kinds_raw]
        self._target.set_random_faults(
            payload.get("rate"),
            int(payload.get("seed", 0)),
            kinds,
            slow_delay=float(payload.get("slow_delay", 0.2)),
        )
        return {"random_faults": payload.get("rate")}
