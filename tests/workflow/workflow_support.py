"""Helpers of the workflow tests: a settable clock, configs, ground truth, record checks."""

from __future__ import annotations

import datetime as dt
import typing as t
from collections import Counter

from langdock_emulator import Emulator
from tests.support.secrets import TEST_API_KEY
from tests.support.tap_runner import TapRun, run_tap

UTC = dt.timezone.utc
START_DATE = "2026-06-10"
START = dt.datetime(2026, 6, 10, tzinfo=UTC)
# A key of its own for the Workflow API (same shape as the suite's keys: the scan finds it).
WORKFLOW_KEY = "ld-workflow-key-SECRET-f10f10"
STREAMS = ("workflows", "workflow_runs")


class Clock:
    """A settable "now"; calling it returns the current value."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def first_now(emu: Emulator) -> dt.datetime:
    """A "now" on 2026-06-14 at which some runs are still going: 20 minutes after the
    creation of the first run that waits for input for more than an hour."""
    for workflow_id in emu.workflows.workflow_ids(dt.datetime(2026, 6, 14, tzinfo=UTC)):
        for run in emu.workflows.data.runs(workflow_id):
            long_wait = run.waits_for_input and run.ended_at - run.started_at > dt.timedelta(
                hours=1
            )
            if long_wait and run.created_at >= dt.datetime(2026, 6, 14, tzinfo=UTC):
                return run.created_at + dt.timedelta(minutes=20)
    raise AssertionError("the seed has no long run on 2026-06-14")


def workflow_config(emu: Emulator, **overrides: t.Any) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "api_key": TEST_API_KEY,
        "api_url": emu.url,
        "start_date": START_DATE,
        "request_timeout": 5,
        "max_requests_per_minute": 1_000_000,
    }
    config.update(overrides)
    return config


def run(
    emu: Emulator,
    state: dict[str, t.Any] | None = None,
    streams: t.Collection[str] = STREAMS,
    when_logged: t.Sequence[tuple[str, t.Callable[[], None]]] = (),
    **settings: t.Any,
) -> TapRun:
    """The workflow streams (or ``streams``), with ``settings`` on top of the config."""
    config = workflow_config(emu, **settings)
    return run_tap(config, state, streams=streams, when_logged=when_logged)


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def truth_runs(emu: Emulator, now: dt.datetime) -> dict[str, dict[str, t.Any]]:
    """The runs an archive read at ``now`` must hold (start_date on), by id."""
    return {run["id"]: run for run in emu.workflows.truth_runs(START, now, now)}


def by_id(records: t.Iterable[dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    """Records keyed by id, as an upserting warehouse keeps them (the last one wins)."""
    return {record["id"]: record for record in records}


def duplicates(records: t.Iterable[dict[str, t.Any]]) -> list[str]:
    return [key for key, count in Counter(r["id"] for r in records).items() if count > 1]


def same_run(record: dict[str, t.Any], served: dict[str, t.Any]) -> bool:
    """Whether a record holds what the API served for the run (payloads left out)."""
    checks = {
        "workflow_id": served["workflowId"],
        "status": served["status"],
        "run_mode": served["runMode"],
        "cost_usd": served["costUsd"],
        "duration_ms": served["durationMs"],
        "error": served["error"],
        "execution_count": len(served["executions"]),
    }
    times = {
        name: record[name] and instant(record[name])
        for name in ("created_at", "started_at", "completed_at")
    }
    served_times = {
        "created_at": instant(served["createdAt"]),
        "started_at": served["startedAt"] and instant(served["startedAt"]),
        "completed_at": served["completedAt"] and instant(served["completedAt"]),
    }
    return all(record[k] == v for k, v in checks.items()) and times == served_times
