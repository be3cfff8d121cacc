"""From Workflow API objects (JSON) to typed records, with `pii` and payloads applied.

Typed columns are the fields Langdock's pages and clients name; everything else is kept in
``_extra_fields`` rather than dropped, since an archive that loses data silently is worse
than none. Node inputs, outputs and logs (anything users typed) are left out unless
``workflow_run_payloads`` is true; then their text follows `pii`, and a payload larger than
``MAX_PAYLOAD_CHARS`` is replaced by a marker that says how large it was.

The Workflow API names no workspace, so ``workspace_id`` is the tap's setting (null when it
is unset, never a guess): it tells two workspaces' rows apart in one warehouse. It is not a
known field, so a ``workspace_id`` Langdock may one day send stays in ``_extra_fields``
rather than overwrite the setting or be overwritten by it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import typing as t

from tap_langdock.cells import hash_text
from tap_langdock.workflow import fields as f

EXTRA_FIELDS = "_extra_fields"
WRAPPED_VALUE = "_value"
MAX_PAYLOAD_CHARS = 16 * 1024 * 1024
"""As the CSV path's largest cell (csv_records.MAX_CELL_CHARS)."""
PAYLOAD_FIELDS = frozenset({"input", "output", "logs"})
# Statuses of a run that may still change; any other status is final. A run without a
# status is read again too: what it becomes is not known yet.
OPEN_STATUSES = frozenset(
    {"PENDING", "QUEUED", "SCHEDULED", "IN_PROGRESS", "RUNNING", "AWAITING_INPUT", "WAITING"}
)


class BadItem(ValueError):
    """An object that cannot be stored: no id, or (runs) no readable creation time."""


@dataclasses.dataclass
class Notes:
    """What converting found worth one warning per stream."""

    unknown: set[str] = dataclasses.field(default_factory=set)
    truncated: int = 0


@dataclasses.dataclass(frozen=True)
class Run:
    """A typed run record and what the stream needs to know about it."""

    record: dict[str, t.Any]
    created_at: dt.datetime
    final: bool


def item_id(fields: t.Mapping[str, t.Any], what: str) -> str:
    value = fields.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        msg = f"a {what} has no id (id is {f.shorten(value)})"
        raise BadItem(msg)
    return value


def _json_object(value: object) -> dict[str, t.Any] | None:
    if value is None or isinstance(value, dict):
        return value
    return {WRAPPED_VALUE: value}


def _extras(
    fields: dict[str, t.Any], clashes: dict[str, t.Any], known: t.Collection[str], notes: Notes
) -> dict[str, t.Any] | None:
    extra = {name: value for name, value in fields.items() if name not in known}
    extra.update(clashes)
    notes.unknown.update(extra)
    return extra or None


# --- workflows ----------------------------------------------------------------------------

WORKFLOW_TEXT = ("name", "description", "status", "access_role", "timezone")
WORKFLOW_KNOWN = frozenset(
    {
        "id",
        *WORKFLOW_TEXT,
        "owner",
        "owner_id",
        "owner_name",
        "owner_email",
        "has_published_version",
        "active_version",
        "versions",
        "limits",
        "created_at",
        "updated_at",
    }
)


def convert_workflow(
    item: t.Mapping[str, t.Any], *, pii: str, workspace_id: str | None, notes: Notes
) -> dict[str, t.Any]:
    """The record of one workflow of ``/workflows/v1/list``; raises `BadItem`."""
    fields, clashes = f.normalized(item)
    record: dict[str, t.Any] = {"id": item_id(fields, "workflow"), "workspace_id": workspace_id}
    for name in WORKFLOW_TEXT:
        record[name] = f.text(fields.get(name))
    owner = fields.get("owner")
    owner_fields = f.normalized(owner)[0] if isinstance(owner, dict) else {}
    record["owner_id"] = f.text(fields.get("owner_id", owner_fields.get("id")))
    record["owner_name"] = _personal(fields.get("owner_name", owner_fields.get("name")), pii)
    record["owner_email"] = _personal(fields.get("owner_email", owner_fields.get("email")), pii)
    record["has_published_version"] = f.boolean(fields.get("has_published_version"))
    record["active_version"] = _json_object(fields.get("active_version"))
    versions = fields.get("versions")
    record["versions"] = versions if isinstance(versions, list) else None
    record["limits"] = _json_object(fields.get("limits"))
    record["created_at"] = f.show_instant(f.instant(fields.get("created_at")))
    record["updated_at"] = f.show_instant(f.instant(fields.get("updated_at")))
    known = set(WORKFLOW_KNOWN)
    if not isinstance(versions, list):
        known.discard("versions")  # kept as sent, not lost
    record[EXTRA_FIELDS] = _extras(fields, clashes, known, notes)
    return record


def _personal(value: object, pii: str) -> str | None:
    shown = f.text(value)
    if shown is None or pii == "keep":
        return shown
    return hash_text(shown) if pii == "hash" else None


# --- runs ---------------------------------------------------------------------------------

RUN_KNOWN = frozenset(
    {
        "id",
        "workflow_id",
        "status",
        "run_mode",
        "version",
        "created_at",
        "started_at",
        "completed_at",
        "finished_at",
        "updated_at",
        "duration_ms",
        "cost_usd",
        "total_cost_usd",
        "cost",
        "usage",
        "error",
        "error_message",
        "executions",
        "node_executions",
    }
)


@dataclasses.dataclass(frozen=True)
class RunRules:
    """How run records are made: the settings that shape them."""

    pii: str
    payloads: bool
    workspace_id: str | None = None
    """The tap's setting, stamped on every run (the Workflow API names no workspace)."""


def convert_run(
    item: t.Mapping[str, t.Any], *, workflow_id: str, rules: RunRules, notes: Notes
) -> Run:
    """The record of one run of ``/workflows/v1/runs``; raises `BadItem`."""
    fields, clashes = f.normalized(item)
    run_id = item_id(fields, "run")
    created = f.instant(fields.get("created_at"))
    if created is None:
        shown = f.shorten(fields.get("created_at"))
        msg = f"run {run_id[:60]} has createdAt {shown}, not an ISO date-time"
        raise BadItem(msg)
    started = f.instant(fields.get("started_at"))
    _, end_value = f.first(fields, "completed_at", "finished_at")
    completed = f.instant(end_value)
    status = f.text(fields.get("status"))
    duration = f.number(fields.get("duration_ms"))
    if duration is None and started is not None and completed is not None:
        duration = (completed - started).total_seconds() * 1000
    _, cost = f.first(fields, "cost_usd", "total_cost_usd", "cost")
    _, error = f.first(fields, "error", "error_message")
    _, executions = f.first(fields, "executions", "node_executions")
    nodes = _executions(executions, rules, notes)
    known = set(RUN_KNOWN)
    if executions is not None and nodes is None:
        known -= {"executions", "node_executions"}  # not a list: kept as sent
    if isinstance(cost, dict):
        known -= {"cost_usd", "total_cost_usd", "cost"}
    final = is_final(status)
    record: dict[str, t.Any] = {
        "id": run_id,
        "workspace_id": rules.workspace_id,
        "workflow_id": f.text(fields.get("workflow_id")) or workflow_id,
        "status": status,
        "run_mode": f.text(fields.get("run_mode")),
        "version": f.text(fields.get("version")),
        "created_at": f.show_instant(created),
        "started_at": f.show_instant(started),
        "completed_at": f.show_instant(completed),
        "updated_at": f.show_instant(f.instant(fields.get("updated_at"))),
        "duration_ms": duration,
        "cost_usd": f.number(cost),
        "usage": _json_object(fields.get("usage")),
        "error": f.text(error),
        "is_final": final,
        "execution_count": None if nodes is None else len(nodes),
        "executions": nodes,
        EXTRA_FIELDS: _extras(fields, clashes, known, notes),
    }
    return Run(record, created, final)


def is_final(status: str | None) -> bool:
    """Whether a run with ``status`` can no longer change (see OPEN_STATUSES)."""
    return status is not None and status.strip().upper() not in OPEN_STATUSES


def _executions(value: object, rules: RunRules, notes: Notes) -> list[dict[str, t.Any]] | None:
    if not isinstance(value, list):
        return None
    nodes = []
    for node in value:
        if not isinstance(node, dict):
            nodes.append({WRAPPED_VALUE: node})
            continue
        fields, clashes = f.normalized(node)
        fields.update(clashes)
        for name in PAYLOAD_FIELDS & fields.keys():
            if not rules.payloads:
                del fields[name]
            else:
                fields[name] = _payload(fields[name], rules.pii, notes)
        nodes.append(fields)
    return nodes


def _payload(value: object, pii: str, notes: Notes) -> object:
    if pii == "drop":
        return None
    if pii == "hash":
        value = _hashed(value)
    size = len(json.dumps(value, ensure_ascii=False))
    if size > MAX_PAYLOAD_CHARS:
        notes.truncated += 1
        return {"_truncated": True, "_chars": size}
    return value


def _hashed(value: object) -> object:
    """Every text inside a payload as its `pii: hash` form; numbers and structure kept."""
    if isinstance(value, str):
        return hash_text(value)
    if isinstance(value, list):
        return [_hashed(item) for item in value]
    if isinstance(value, dict):
        return {key: _hashed(item) for key, item in value.items()}
    return value
