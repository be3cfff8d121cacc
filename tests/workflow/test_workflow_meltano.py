"""The workflow streams as users run them: `meltano run tap-langdock target-duckdb`, then dbt.

A Meltano subprocess runs on the real clock, so the emulator's workflows start five days ago
and its clock stands still at an instant when some runs are still going. The first run
archives every workflow and run; the runs that were going then end (`finish_open_runs`) and
the second run loads their final state; dbt's workflow_runs_daily is checked against the
emulator's ground truth computed here. ``workspace_id`` is set, so every row carries it, from
the loaded tables through the mart (several workspaces in one warehouse).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
import subprocess
import typing as t
from pathlib import Path

import duckdb
import pytest

from langdock_emulator import Emulator
from langdock_emulator.workflow_api import WorkflowApi, WorkflowSettings
from tests.support.meltano_project import API_KEY, clean_env, meltano

UTC = dt.timezone.utc
WORKSPACE = "ws-workflows-acme"
PERIOD_START = dt.datetime.combine(
    dt.datetime.now(UTC).date() - dt.timedelta(days=5), dt.time(), UTC
)


def _frozen_now(api: WorkflowApi) -> dt.datetime:
    """20 minutes into the latest run that waits for input for over an hour (in the past)."""
    latest = dt.datetime.now(UTC) - dt.timedelta(minutes=30)
    candidates = [
        run.created_at
        for workflow in api.data.workflows
        for run in api.data.runs(workflow.id)
        if run.waits_for_input
        and run.ended_at - run.started_at > dt.timedelta(hours=1)
        and run.created_at < latest
    ]
    return max(candidates) + dt.timedelta(minutes=20)


def _table(database: Path, name: str) -> dict[str, dict[str, t.Any]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        cursor = connection.execute(f"select * from langdock_raw.{name}")
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert len(rows) == len({row["id"] for row in rows}), f"duplicate ids in {name}"
    return {row["id"]: row for row in rows}


def _percentile(values: list[float], fraction: float) -> float | None:
    """percentile_cont: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _expected_daily(runs: list[dict[str, t.Any]]) -> dict[tuple[str, str], dict[str, t.Any]]:
    groups: dict[tuple[str, str], list[dict[str, t.Any]]] = {}
    for run in runs:
        groups.setdefault((run["createdAt"][:10], run["workflowId"]), []).append(run)
    expected = {}
    for key, members in groups.items():
        statuses = [m["status"] for m in members]
        final = [m for m in members if m["status"] in ("COMPLETED", "FAILED", "CANCELLED")]
        durations = [float(m["durationMs"]) for m in final]
        expected[key] = {
            "run_count": len(members),
            "failed_count": statuses.count("FAILED"),
            "success_rate": statuses.count("COMPLETED") / len(final) if final else None,
            "median_duration_ms": _percentile(durations, 0.5),
            "p95_duration_ms": _percentile(durations, 0.95),
            "total_cost_usd": sum(m["costUsd"] or 0 for m in members),
        }
    return expected


@pytest.mark.slow
def test_meltano_archives_workflow_runs_and_dbt_builds_the_daily_mart(
    meltano_project: Path, tmp_path: Path
) -> None:
    project, database = meltano_project, tmp_path / "workflows.duckdb"
    # With fields the tap does not know (kept in _extra_fields): the batches that once lost
    # their first row in target-duckdb (see test_target_duckdb_keeps_the_first_row below).
    api = WorkflowApi(7, period_start=PERIOD_START, settings=WorkflowSettings(unknown_fields=True))
    with Emulator(api_key=API_KEY, seed=7, workflows=api) as emu:
        frozen = _frozen_now(api)
        api.clock = lambda: frozen
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'state.db'}",
            TARGET_DUCKDB_FILEPATH=str(database),
            TAP_LANGDOCK_API_URL=emu.url,
            TAP_LANGDOCK_API_KEY=API_KEY,
            TAP_LANGDOCK_START_DATE=PERIOD_START.date().isoformat(),
            TAP_LANGDOCK_WORKSPACE_ID=WORKSPACE,
            TAP_LANGDOCK__SELECT=json.dumps(["workflows.*", "workflow_runs.*"]),
        )
        command = ["run", "tap-langdock", "target-duckdb"]
        meltano(project, command, env).check()
        first = _table(database, "workflow_runs")
        truth = {run["id"]: run for run in api.truth_runs(PERIOD_START, frozen)}
        assert set(first) == set(truth)
        going = {key for key, row in first.items() if not row["is_final"]}
        assert going
        assert going == api.finish_open_runs()
        meltano(project, command, env).check()
        loaded = _table(database, "workflow_runs")
        served = api.truth_runs(PERIOD_START, frozen)
        workflows = _table(database, "workflows")
        assert set(workflows) == set(api.workflow_ids())
    assert {row["workspace_id"] for row in [*loaded.values(), *workflows.values()]} == {WORKSPACE}
    assert set(loaded) == {run["id"] for run in served}
    for run in served:
        row = loaded[run["id"]]
        assert row["status"] == run["status"], run["id"]
        assert row["is_final"] is True
        assert row["cost_usd"] == pytest.approx(run["costUsd"])

    dbt = [
        "invoke",
        "dbt",
        "build",
        "--project-dir",
        str(project / "transform"),
        "--profiles-dir",
        str(project / "transform"),
        "--select",
        "stg_langdock__workflows+",
        "stg_langdock__workflow_runs+",
    ]
    dbt_env = {
        "DBT_DUCKDB_PATH": str(database),
        "DBT_TARGET_PATH": str(tmp_path / "dbt-target"),
        "DBT_LOG_PATH": str(tmp_path / "dbt-logs"),
    }
    built = meltano(project, dbt, clean_env(**dbt_env)).check()
    assert "ERROR=0" in built.output, built.output[-3000:]
    with duckdb.connect(str(database), read_only=True) as connection:
        cursor = connection.execute(
            "select cast(run_date as varchar), workflow_id, workspace_id, workflow_name, "
            "run_count, failed_count, success_rate, median_duration_ms, p95_duration_ms, "
            "total_cost_usd from langdock_marts.workflow_runs_daily"
        )
        rows = cursor.fetchall()
    assert {row[2] for row in rows} == {WORKSPACE}
    mart = {(row[0], row[1]): row[3:] for row in rows}
    expected = _expected_daily(served)
    assert set(mart) == set(expected)
    names = {w["id"]: w["name"] for w in api.truth_workflows()}
    for key, figures in expected.items():
        name, runs, failed, rate, median, p95, cost = mart[key]
        assert name == names[key[1]]
        assert (runs, failed) == (figures["run_count"], figures["failed_count"]), key
        for got, want in (
            (rate, figures["success_rate"]),
            (median, figures["median_duration_ms"]),
            (p95, figures["p95_duration_ms"]),
            (cost, figures["total_cost_usd"]),
        ):
            assert got == pytest.approx(want), key
    assert statistics.fmean(f["run_count"] for f in expected.values()) > 1

    # Without the tables (the streams are not selected by default) the models build empty.
    empty = {**dbt_env, "DBT_DUCKDB_PATH": str(tmp_path / "empty.duckdb")}
    built = meltano(project, dbt, clean_env(**empty)).check()
    assert "ERROR=0" in built.output, built.output[-3000:]
    with duckdb.connect(str(tmp_path / "empty.duckdb"), read_only=True) as connection:
        (rows,) = connection.execute(
            "select count(*) from langdock_marts.workflow_runs_daily"
        ).fetchall()[0]
    assert rows == 0


def _target_duckdb(project: Path) -> Path:
    # The loader meltano.yml installs: target-duckdb 0.8.0 behind langdock-target-duckdb.
    return project / ".meltano/loaders/target-duckdb/venv/bin/langdock-target-duckdb"


def test_target_duckdb_keeps_the_first_row_of_a_batch(
    meltano_project: Path, tmp_path: Path
) -> None:
    schema = {
        "type": "object",
        "properties": {
            "_extra_fields": {"type": ["object", "null"]},
            "created_at": {"type": ["string", "null"], "format": "date-time"},
            "id": {"type": "string"},
        },
    }
    rows = [
        {"id": f"r{n}", "created_at": f"2026-06-0{n}T10:00:00.000000+00:00",
         "_extra_fields": {"trigger_type": "webhook"}}
        for n in range(1, 4)
    ]  # fmt: skip
    messages = [{"type": "SCHEMA", "stream": "runs", "schema": schema, "key_properties": ["id"]}]
    messages += [{"type": "RECORD", "stream": "runs", "record": row} for row in rows]
    database = tmp_path / "first-row.duckdb"
    config = tmp_path / "target.json"
    config.write_text(json.dumps({"filepath": str(database), "default_target_schema": "raw"}))
    lines = "".join(json.dumps(message) + "\n" for message in messages)
    subprocess.run(
        [str(_target_duckdb(meltano_project)), "--config", str(config)],
        input=lines, text=True, capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    with duckdb.connect(str(database), read_only=True) as connection:
        loaded = {row[0] for row in connection.execute("select id from raw.runs").fetchall()}
    assert loaded == {"r1", "r2", "r3"}
