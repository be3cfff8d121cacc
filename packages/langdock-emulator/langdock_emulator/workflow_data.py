"""Deterministic workflows and their runs, whose status moves on as the clock does.

Every workflow and run depends only on the seed, so the Workflow API at any moment is a pure
function of (seed, now). A run is PENDING until it starts, then IN_PROGRESS (or
AWAITING_INPUT, for a few long ones) until it ends; from then on it is COMPLETED, FAILED or
CANCELLED with its duration, cost and node executions' outputs. One workflow is created
in the middle of the period, so a later read finds a workflow the first one did not list.
Node inputs and outputs hold typed text, with characters JSON must escape.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Any

from langdock_emulator.mixing import hash_ints

UTC = dt.timezone.utc
# The default period runs are made for: June 2026 (the tests' clock lies in it).
PERIOD_START = dt.datetime(2026, 6, 1, tzinfo=UTC)
PERIOD_DAYS = 30
OPEN_STATUSES = ("PENDING", "IN_PROGRESS", "AWAITING_INPUT")
_NAMES = (
    "Invoice triage",
    "Weekly digest",
    'Lead "enrichment" \u2013 CRM',
    "Ticket summariser",
    "Onboarding 👋 checklist",
    "Contract review (legal)",
)
_OWNERS = (
    ("u_anna", "Anna Schmidt", "anna.schmidt@example.com"),
    ("u_zoe", 'Zoë "Z" Müller', "zoe.mueller@example.com"),
    ("u_taro", "山田 太郎", "taro.yamada@example.com"),
)
_NODES = (
    ("trigger", "Webhook trigger"),
    ("agent", "Classify"),
    ("action", "Send e-mail"),
    ("code", "Transform"),
)
# Hours between runs of each workflow, and the day (of the period) it was created.
_EVERY_HOURS = (3, 7, 5, 11, 4, 9)
_CREATED_DAY = (0, 0, 0, 0, 14, 0)


def _unit(*parts: int) -> float:
    return (hash_ints(*parts) % 1_000_000) / 1_000_000


def iso(instant: dt.datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{instant.microsecond // 1000:03d}Z"
    )


@dataclasses.dataclass(frozen=True)
class WorkflowRun:
    """One run as Langdock stores it; `payload(now)` is what the API shows at ``now``."""

    id: str
    workflow_id: str
    number: int
    created_at: dt.datetime
    started_at: dt.datetime
    ended_at: dt.datetime
    outcome: str
    """COMPLETED, FAILED or CANCELLED: the status once ``ended_at`` has passed."""
    waits_for_input: bool
    run_mode: str
    cost_usd: float
    seed: int = dataclasses.field(repr=False)

    @property
    def key(self) -> tuple[dt.datetime, str]:
        return (self.created_at, self.id)

    def status(self, now: dt.datetime) -> str:
        if now < self.started_at:
            return "PENDING"
        if now < self.ended_at:
            return "AWAITING_INPUT" if self.waits_for_input else "IN_PROGRESS"
        return self.outcome

    def payload(self, now: dt.datetime) -> dict[str, Any]:
        """The run object of ``/workflows/v1/runs`` at ``now``, in camelCase as Langdock's
        pages show."""
        status = self.status(now)
        final = status not in OPEN_STATUSES
        started = status != "PENDING"
        body: dict[str, Any] = {
            "id": self.id,
            "workflowId": self.workflow_id,
            "status": status,
            "runMode": self.run_mode,
            "version": "0" if self.run_mode == "test" else "3",
            "createdAt": iso(self.created_at),
            "startedAt": iso(self.started_at) if started else None,
            "completedAt": iso(self.ended_at) if final else None,
            "durationMs": self.duration_ms if final else None,
            "costUsd": self.cost_usd if final else None,
            "error": self.error if final else None,
            "triggerType": ("webhook", "scheduled", "manual")[self.number % 3],
            "executions": self._executions(now, final),
        }
        return body

    @property
    def duration_ms(self) -> int:
        return round((self.ended_at - self.started_at).total_seconds() * 1000)

    @property
    def error(self) -> str | None:
        if self.outcome != "FAILED":
            return None
        return "Node 'Send e-mail' failed:\tSMTP 550\nmailbox \"unavailable\"\x0b"

    def _executions(self, now: dt.datetime, final: bool) -> list[dict[str, Any]]:
        count = 1 + hash_ints(self.seed, self.number, 5) % 3
        nodes = []
        for index in range(count):
            node_type, node_name = _NODES[index % len(_NODES)]
            done = final or index < count - 1
            nodes.append(
                {
                    "id": f"{self.id}-n{index}",
                    "nodeId": f"node_{index}",
                    "nodeName": node_name,
                    "nodeType": node_type,
                    "status": ("COMPLETED" if done else "IN_PROGRESS")
                    if not (final and self.outcome == "FAILED" and index == count - 1)
                    else "FAILED",
                    "input": {"text": f"Kunde schreibt:\n\t„Rechnung #{self.number}“\x07"},
                    "output": {"text": f"label: invoice-{self.number}"} if done else None,
                    "inputError": None,
                    "outputError": None,
                    "logs": [f"step {index} ok"] if done else [],
                }
            )
        return nodes


@dataclasses.dataclass(frozen=True)
class Workflow:
    """One workflow; ``payload`` is its object in ``/workflows/v1/list``."""

    id: str
    number: int
    created_at: dt.datetime
    every_hours: int
    payload: dict[str, Any] = dataclasses.field(compare=False, repr=False)


class WorkflowData:
    """The workspace's workflows and runs for one seed."""

    def __init__(self, seed: int, period_start: dt.datetime = PERIOD_START) -> None:
        self.seed = seed
        self.period_start = period_start
        self.workflows = tuple(self._workflow(n) for n in range(len(_NAMES)))

    def _workflow(self, number: int) -> Workflow:
        workflow_id = f"wf_{hash_ints(self.seed, number, 1) % 16**12:012x}"
        created = self.period_start + dt.timedelta(days=_CREATED_DAY[number], hours=number)
        owner_id, owner_name, owner_email = _OWNERS[number % len(_OWNERS)]
        payload = {
            "id": workflow_id,
            "name": _NAMES[number],
            "description": f"Workflow {number}\twith a tab",
            "status": "INACTIVE" if number == 3 else "ACTIVE",
            "owner": {"id": owner_id, "name": owner_name, "email": owner_email},
            "accessRole": "EDITOR",
            "hasPublishedVersion": number != 3,
            "activeVersion": None if number == 3 else {"version": "3", "publishedAt": iso(created)},
            "createdAt": iso(created),
            "updatedAt": iso(created + dt.timedelta(hours=2)),
            "folder": f"Team {number % 2}",
        }
        return Workflow(workflow_id, number, created, _EVERY_HOURS[number], payload)

    def listed(self, now: dt.datetime) -> list[Workflow]:
        """The workflows that exist at ``now``, oldest first."""
        return [w for w in self.workflows if w.created_at <= now]

    def find(self, workflow_id: str) -> Workflow | None:
        return next((w for w in self.workflows if w.id == workflow_id), None)

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one instance per emulator, few workflows
    def runs(self, workflow_id: str) -> tuple[WorkflowRun, ...]:
        """Every run of the workflow in the period, oldest first (some not created yet)."""
        workflow = self.find(workflow_id)
        if workflow is None:
            return ()
        runs = []
        step = dt.timedelta(hours=workflow.every_hours)
        at = workflow.created_at + dt.timedelta(minutes=17)
        end = self.period_start + dt.timedelta(days=PERIOD_DAYS)
        number = 0
        while at < end:
            runs.append(self._run(workflow, number, at))
            number += 1
            # Jitter of up to 40 minutes keeps runs of different workflows apart.
            at += step + dt.timedelta(seconds=int(_unit(self.seed, workflow.number, number) * 2400))
        return tuple(runs)

    def _run(self, workflow: Workflow, number: int, created: dt.datetime) -> WorkflowRun:
        roll = _unit(self.seed, workflow.number, number, 2)
        waits = roll > 0.93
        # Most runs take seconds to minutes; those awaiting input take hours.
        seconds = 3 + _unit(self.seed, workflow.number, number, 3) * (6 * 3600 if waits else 600)
        started = created + dt.timedelta(seconds=1 + number % 5)
        ended = started + dt.timedelta(seconds=seconds, microseconds=number * 1000 % 1_000_000)
        outcome = "FAILED" if roll < 0.15 else ("CANCELLED" if roll < 0.2 else "COMPLETED")
        return WorkflowRun(
            id=f"run_{hash_ints(self.seed, workflow.number, number, 4) % 16**16:016x}",
            workflow_id=workflow.id,
            number=number,
            created_at=created,
            started_at=started,
            ended_at=ended,
            outcome=outcome,
            waits_for_input=waits,
            run_mode="test" if number % 7 == 0 else "production",
            cost_usd=round(0.002 + _unit(self.seed, workflow.number, number, 6) * 0.05, 6),
            seed=self.seed,
        )

    def created(self, workflow_id: str, start: dt.datetime, end: dt.datetime) -> list[WorkflowRun]:
        """Runs of the workflow created in [start, end], oldest first."""
        return [r for r in self.runs(workflow_id) if start <= r.created_at <= end]
