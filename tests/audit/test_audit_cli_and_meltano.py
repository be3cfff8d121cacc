"""audit_logs as users run it: the tap's CLI, and `meltano run tap-langdock target-duckdb`.

The emulator and the tap use the real clock here (a subprocess cannot share a fake one), so
the runs end at a fixed end_date two days back: the expected entries are then settled and
the same whenever the test runs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import typing as t
from pathlib import Path

import duckdb
import pytest

from langdock_emulator import Emulator, Fault
from tap_langdock.tap import TapLangdock
from tests.audit.audit_support import AUDIT_KEY, instant
from tests.support.meltano_project import API_KEY, clean_env, meltano
from tests.support.secrets import TEST_API_KEY, scan_for_secrets

UTC = dt.timezone.utc
TODAY = dt.datetime.now(UTC).date()
START = TODAY - dt.timedelta(days=5)
FIRST_END = TODAY - dt.timedelta(days=3)
SECOND_END = TODAY - dt.timedelta(days=2)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), UTC)


def _truth_ids(emu: Emulator, last_day: dt.date) -> set[str]:
    end = _midnight(last_day + dt.timedelta(days=1))
    return {entry["id"] for entry in emu.audit.truth(_midnight(START), end)}


def _catalog_file(tmp_path: Path, config: dict[str, t.Any]) -> Path:
    catalog = TapLangdock(config=config).catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] == "audit_logs"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    return path


def _cli(
    tmp_path: Path, config: dict[str, t.Any], *args: str, env: dict[str, str] | None = None
) -> list[dict[str, t.Any]]:
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "tap_langdock", "--config", str(tmp_path / "config.json"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("TAP_LANGDOCK_")},
            **(env or {}),
        },
        check=False,
    )
    scan_for_secrets(result.stdout + result.stderr, "tap-langdock CLI (audit_logs)")
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_cli_archives_the_log_over_two_runs(tmp_path: Path) -> None:
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        config = {
            "api_key": TEST_API_KEY,
            "api_url": f"{emu.url}/api/public",
            "start_date": START.isoformat(),
            "end_date": FIRST_END.isoformat(),
            "workspace_id": emu.audit.workspace_id,
        }
        catalog = str(_catalog_file(tmp_path, config))
        first = _cli(tmp_path, config, "--catalog", catalog)
        states = [m["value"] for m in first if m["type"] == "STATE"]
        state = tmp_path / "state.json"
        state.write_text(json.dumps(states[-1]))
        config["end_date"] = SECOND_END.isoformat()
        second = _cli(tmp_path, config, "--catalog", catalog, "--state", str(state))
        records = [m["record"] for m in first + second if m["type"] == "RECORD"]
        assert {r["id"] for r in records} == _truth_ids(emu, SECOND_END)
        # The second run read only the overlap before the bookmark again.
        overlap = _midnight(FIRST_END + dt.timedelta(days=1)) - dt.timedelta(minutes=15)
        again = [r for r in second if r["type"] == "RECORD"]
        assert min(instant(m["record"]["created_at"]) for m in again) >= overlap


def test_debug_logging_shows_neither_key(tmp_path: Path) -> None:
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        emu.audit.settings.api_key = AUDIT_KEY
        emu.audit.add_fault(Fault("rate_limit", retry_after=0))
        emu.audit.add_fault(Fault("reset"))
        config = {
            "api_key": TEST_API_KEY,
            "api_url": emu.url,
            "start_date": FIRST_END.isoformat(),
            "end_date": FIRST_END.isoformat(),
            "workspace_id": emu.audit.workspace_id,
            "audit_log_api_key": AUDIT_KEY,
        }
        catalog = str(_catalog_file(tmp_path, config))
        debug = {"TAP_LANGDOCK_LOGLEVEL": "DEBUG", "LOGLEVEL": "DEBUG"}
        messages = _cli(tmp_path, config, "--catalog", catalog, env=debug)
        assert [m for m in messages if m["type"] == "RECORD"]
        assert all(request.authorized for request in emu.audit.requests[2:])


def _table(database: Path) -> dict[str, dict[str, t.Any]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        cursor = connection.execute("select * from langdock_raw.audit_logs")
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    assert len(rows) == len({row["id"] for row in rows}), "duplicate ids in audit_logs"
    return {row["id"]: row for row in rows}


@pytest.mark.slow
def test_meltano_runs_load_every_entry_once_and_dbt_builds_on_it(
    meltano_project: Path, tmp_path: Path
) -> None:
    project, database = meltano_project, tmp_path / "audit.duckdb"
    with Emulator(api_key=API_KEY, seed=7) as emu:
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'state.db'}",
            TARGET_DUCKDB_FILEPATH=str(database),
            TAP_LANGDOCK_API_URL=emu.url,
            TAP_LANGDOCK_API_KEY=API_KEY,
            TAP_LANGDOCK_START_DATE=START.isoformat(),
            TAP_LANGDOCK_END_DATE=FIRST_END.isoformat(),
            TAP_LANGDOCK_WORKSPACE_ID=emu.audit.workspace_id,
            TAP_LANGDOCK__SELECT=json.dumps(["audit_logs.*"]),
        )
        command = ["run", "tap-langdock", "target-duckdb"]
        meltano(project, command, env).check()
        assert set(_table(database)) == _truth_ids(emu, FIRST_END)
        meltano(project, command, {**env, "TAP_LANGDOCK_END_DATE": SECOND_END.isoformat()}).check()
        meltano(project, command, {**env, "TAP_LANGDOCK_END_DATE": SECOND_END.isoformat()}).check()
        loaded = _table(database)
        end = _midnight(SECOND_END + dt.timedelta(days=1))
        served = {entry["id"]: entry for entry in emu.audit.truth(_midnight(START), end)}
    assert set(loaded) == set(served)
    for key, entry in served.items():
        row = loaded[key]
        assert row["created_at"] == instant(entry["created_at"]).replace(tzinfo=None), key
        changes = json.loads(row["changes"]) if row["changes"] is not None else None
        assert changes == entry["changes"], key
        assert row["actor_name"] == entry["actor_name"]

    dbt = [
        "invoke",
        "dbt",
        "build",
        "--project-dir",
        str(project / "transform"),
        "--profiles-dir",
        str(project / "transform"),
        "--select",
        "stg_langdock__audit_logs+",
    ]
    dbt_env = {
        "DBT_DUCKDB_PATH": str(database),
        "DBT_TARGET_PATH": str(tmp_path / "dbt-target"),
        "DBT_LOG_PATH": str(tmp_path / "dbt-logs"),
    }
    built = meltano(project, dbt, clean_env(**dbt_env)).check()
    assert "ERROR=0" in built.output, built.output[-3000:]
    with duckdb.connect(str(database), read_only=True) as connection:
        (staged,) = connection.execute(
            "select count(*) from langdock_staging.stg_langdock__audit_logs"
        ).fetchall()[0]
        per_day = dict(
            connection.execute(
                "select activity_date::varchar, sum(action_count) "
                "from langdock_marts.admin_activity_daily group by 1"
            ).fetchall()
        )
    assert staged == len(served)
    expected: dict[str, int] = {}
    for entry in served.values():
        day = entry["created_at"][:10]
        expected[day] = expected.get(day, 0) + 1
    assert per_day == expected

    # Without the table (the stream is not selected by default) the models build empty.
    empty = {**dbt_env, "DBT_DUCKDB_PATH": str(tmp_path / "empty.duckdb")}
    built = meltano(project, dbt, clean_env(**empty)).check()
    assert "ERROR=0" in built.output, built.output[-3000:]
    with duckdb.connect(str(tmp_path / "empty.duckdb"), read_only=True) as connection:
        (rows,) = connection.execute(
            "select count(*) from langdock_marts.admin_activity_daily"
        ).fetchall()[0]
    assert rows == 0
