"""A table loaded with the key before org_id, then a second workspace: loud, then fixed.

The loaders create a table's primary key when they create the table and never change it. A
models_usage table an older tap loaded (key name, provider, bring_your_keys, period_start,
period_end) then refuses a second workspace's rows of the same model and day: the emulator's
workspaces share model names, as real ones do. The load fails loudly and keeps the first
workspace's rows; after `scripts/widen_keys.py` (what the README says to run) the same load
works and each workspace's rows equal its truth.
"""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t
from pathlib import Path

import duckdb
import pytest

from langdock_emulator import Workspace
from langdock_emulator.tenants import MultiEmulator
from tests.dagster.truth import truth
from tests.support.meltano_project import MELTANO, REPO, clean_env, meltano
from tests.warehouse.warehouses import Postgres

pytestmark = pytest.mark.slow
STREAM = "models_usage"
OLD_KEY = ["name", "provider", "bring_your_keys", "period_start", "period_end"]
KEYS = {"first": "ld-first-SECRET-1a1a1a", "second": "ld-second-SECRET-2b2b2b"}
START, END = "2025-03-01", "2025-03-02"
SCRIPT = REPO / "scripts" / "widen_keys.py"


def _tap_env(url: str, name: str, work: Path, destination: dict[str, str]) -> dict[str, str]:
    return clean_env(
        MELTANO_DATABASE_URI=f"sqlite:///{work / f'{name}.db'}",
        TAP_LANGDOCK_API_URL=url,
        TAP_LANGDOCK_API_KEY=KEYS[name],
        TAP_LANGDOCK_START_DATE=START,
        TAP_LANGDOCK_END_DATE=END,
        TAP_LANGDOCK__SELECT=json.dumps([f"{STREAM}.*"]),
        **destination,
    )


def _load_with_the_old_key(project: Path, loader: str, env: dict[str, str]) -> None:
    """What an older tap loaded: the same records, the key without org_id."""
    tap = subprocess.run(
        [str(MELTANO), "invoke", "tap-langdock"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    messages = []
    for line in tap.stdout.splitlines():
        message = json.loads(line)
        if message.get("type") == "SCHEMA":
            assert message["key_properties"] == [*OLD_KEY, "org_id"]
            message["key_properties"] = OLD_KEY
        messages.append(json.dumps(message))
    target = subprocess.run(
        [str(MELTANO), "invoke", loader],
        input="\n".join(messages) + "\n",
        cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert target.returncode == 0, target.stderr[-3000:]


def _widen(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("loader", ["target-duckdb", "target-postgres"])
def test_an_old_key_fails_the_second_workspace_loudly_until_widened(
    meltano_project: Path, tmp_path: Path, request: pytest.FixtureRequest, loader: str
) -> None:
    if loader == "target-postgres":
        server: Postgres = request.getfixturevalue("postgres")
        schema = server.schema("widen")
        destination = {**server.env, "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema}
        widen_args = ["--postgres", "--schema", schema]

        def query(sql: str) -> list[tuple[t.Any, ...]]:
            with server.connect() as connection:
                return list(connection.execute(sql).fetchall())

        violation = "UniqueViolation"
    else:
        schema = "langdock_raw"
        database = tmp_path / "langdock.duckdb"
        destination = {"TARGET_DUCKDB_FILEPATH": str(database)}
        widen_args = ["--duckdb", str(database), "--schema", schema]

        def query(sql: str) -> list[tuple[t.Any, ...]]:
            with duckdb.connect(str(database), read_only=True) as connection:
                return connection.sql(sql).fetchall()

        violation = "ConstraintException"

    workspaces = {
        name: Workspace(seed, KEYS[name]) for name, seed in (("first", 41), ("second", 42))
    }
    with MultiEmulator(workspaces) as multi:
        first = _tap_env(multi.url, "first", tmp_path, destination)
        second = _tap_env(multi.url, "second", tmp_path, destination)
        _load_with_the_old_key(meltano_project, loader, first)

        def totals() -> dict[str, tuple[int, float]]:
            sql = f"select org_id, count(*), sum(requests) from {schema}.{STREAM} group by org_id"
            return {str(o): (int(n), round(float(s or 0), 6)) for o, n, s in query(sql)}

        org = {name: multi.workspace(name).workspace.org_id for name in KEYS}
        truths = {org[name]: truth(multi.workspace(name), START, END)[STREAM] for name in KEYS}
        assert totals() == {org["first"]: truths[org["first"]]}

        command = ["run", "tap-langdock", loader]
        failed = meltano(meltano_project, command, second)
        assert failed.returncode != 0
        assert violation in failed.output
        assert totals() == {org["first"]: truths[org["first"]]}  # nothing overwritten

        fixed = _widen(*widen_args, env=clean_env(**destination))
        assert fixed.returncode == 0, fixed.stderr
        assert f"{schema}.{STREAM}: primary key is now ({', '.join(OLD_KEY)}, org_id)" in (
            fixed.stdout
        )
        again = _widen(*widen_args, env=clean_env(**destination))
        assert "already has the tap's key" in again.stdout, again.stdout

        meltano(meltano_project, command, second).check()
        meltano(meltano_project, command, first).check()  # the first again: upserted, not doubled
        assert totals() == truths
