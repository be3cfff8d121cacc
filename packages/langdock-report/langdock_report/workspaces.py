"""Which workspaces the report shows: all (with a per-workspace breakdown) or one.

The marts know a workspace by its id (Langdock's org_id, ``workspace_id``). Names come from
the Dagster code location's workspaces file (``$LANGDOCK_WORKSPACES_FILE``, else
``workspaces.yml`` in the working directory), from its entries that give a ``workspace_id``:
then ``--workspace acme`` works and the breakdown says "acme". Without the file, ids only.
"""

from __future__ import annotations

import dataclasses
import os
import typing as t
from pathlib import Path

import yaml

from langdock_report import queries
from langdock_report.errors import ReportError
from langdock_report.warehouse import Warehouse

FILE_ENV = "LANGDOCK_WORKSPACES_FILE"
DEFAULT_FILE = Path("workspaces.yml")


@dataclasses.dataclass(frozen=True)
class Scope:
    loaded: tuple[str, ...]  # every workspace id in the marts
    names: dict[str, str]  # workspace id -> name in the workspaces file
    workspace: str | None = None  # the one shown, or None for all

    def label(self, workspace_id: str) -> str:
        return self.names.get(workspace_id, workspace_id)

    def described(self, workspace_id: str) -> str:
        name = self.names.get(workspace_id)
        return f"{name} ({workspace_id})" if name else workspace_id


def names(environ: t.Mapping[str, str] | None = None) -> dict[str, str]:
    """workspace id -> name, from the workspaces file if there is one."""
    configured = (os.environ if environ is None else environ).get(FILE_ENV)
    path = Path(configured) if configured else DEFAULT_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problem = type(exc).__name__
        msg = f"{path}: cannot read the workspaces file ({problem}); fix it or unset {FILE_ENV}"
        raise ReportError(msg) from exc
    entries = data.get("workspaces") if isinstance(data, dict) else None
    found: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            name, workspace_id = entry.get("name"), entry.get("workspace_id")
            if isinstance(name, str) and isinstance(workspace_id, str) and workspace_id:
                found[workspace_id] = name
    return found


def choose(warehouse: Warehouse, wanted: str | None, known: dict[str, str]) -> Scope:
    """The scope of the report; with ``wanted`` (a name or an id), every query sees only it."""
    rows = queries.run(warehouse, "workspaces", {})
    scope = Scope(tuple(str(row["workspace_id"]) for row in rows), known)
    if wanted is None:
        return scope
    by_name = {name: workspace_id for workspace_id, name in known.items()}
    chosen = wanted if wanted in scope.loaded else by_name.get(wanted)
    if chosen not in scope.loaded:
        listing = ", ".join(scope.described(w) for w in scope.loaded) or "none"
        msg = (
            f"--workspace {wanted!r}: no such workspace in {warehouse.schema} of the "
            f"{warehouse.label}; it holds: {listing}"
        )
        raise ReportError(msg)
    warehouse.workspace = chosen
    return dataclasses.replace(scope, workspace=chosen)
