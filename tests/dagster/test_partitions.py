"""The code location end to end: real Dagster, real Meltano, the emulator's three workspaces.

DuckDB: the partitions one after another (one writer), a wrong key failing its partition
alone, a second materialization continuing from the workspace's own Meltano state.
PostgreSQL: the three partitions in parallel processes, as Dagster's run workers run them.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from langdock_dagster.location import build_defs
from langdock_dagster.workspaces import WorkspacesFileError
from langdock_emulator.tenants import MultiEmulator
from tests.dagster.conftest import (
    END_DATE,
    NAMES,
    START_DATE,
    WRONG_KEY,
    key_variable,
    location_env,
)
from tests.dagster.partition_worker import materialize
from tests.dagster.truth import loaded, truth
from tests.support.secrets import scan_for_secrets
from tests.warehouse.warehouses import Postgres

pytestmark = pytest.mark.slow
SECOND_END_DATE = "2025-03-04"


def _run(
    job: dg.JobDefinition, partition: str, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    result = job.execute_in_process(
        partition_key=partition, instance=instance, raise_on_error=False
    )
    scan_for_secrets(
        "\n".join(e.message or "" for e in result.all_events), f"dagster run {partition}"
    )
    return result


def _states(work: Path) -> set[str]:
    with sqlite3.connect(work / "meltano.db") as db:
        return {row[0] for row in db.execute("select state_id from state")}


def _export_days(multi: MultiEmulator, name: str, since: int) -> set[str]:
    requests = multi.workspace(name).export_requests[since:]
    return {(request.from_date or "")[:10] for request in requests}


def test_definitions_load_with_a_partition_per_workspace_and_dbt_downstream(
    isolated_meltano_project: Path, multi: MultiEmulator, tmp_path: Path
) -> None:
    defs = build_defs(location_env(isolated_meltano_project, multi, tmp_path, "target-duckdb"))
    dg.Definitions.validate_loadable(defs)
    job = defs.resolve_job_def("langdock_load")
    assert job.partitions_def is not None
    assert job.partitions_def.get_partition_keys() == list(NAMES)
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert {"langdock/projects_usage", "langdock/models_usage"} <= keys
    # dagster-dbt keyed the dbt sources like the load assets: the models are downstream.
    graph = defs.resolve_asset_graph()
    children = graph.get(dg.AssetKey(["langdock", "projects_usage"])).child_keys
    assert dg.AssetKey(["staging", "stg_langdock__projects_usage"]) in children


def test_a_bad_workspaces_file_stops_the_load_with_its_line(
    isolated_meltano_project: Path, multi: MultiEmulator, tmp_path: Path
) -> None:
    env = location_env(isolated_meltano_project, multi, tmp_path, "target-duckdb")
    Path(env["LANGDOCK_WORKSPACES_FILE"]).write_text(
        "workspaces:\n  - {name: acme, api_key_env: K}\n  - {name: acme, api_key_env: L}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        WorkspacesFileError, match=r"workspace #2 \(acme\): name 'acme' is used twice"
    ):
        build_defs(env)
    with pytest.raises(WorkspacesFileError, match=r"LANGDOCK_DAGSTER_LOADER='target-nope'"):
        build_defs({**env, "LANGDOCK_DAGSTER_LOADER": "target-nope"})


def test_duckdb_one_after_another_wrong_key_alone_then_continue_from_state(
    isolated_meltano_project: Path, multi: MultiEmulator, tmp_path: Path
) -> None:
    duckdb_file = tmp_path / "langdock.duckdb"
    env = location_env(
        isolated_meltano_project,
        multi,
        tmp_path,
        "target-duckdb",
        TARGET_DUCKDB_FILEPATH=str(duckdb_file),
        **{key_variable("gamma"): WRONG_KEY},
    )
    job = build_defs(env).resolve_job_def("langdock_load")
    instance = dg.DagsterInstance.ephemeral()
    results = {name: _run(job, name, instance) for name in NAMES}
    assert results["acme"].success
    assert results["beta"].success
    failed = results["gamma"]
    assert not failed.success
    failure = str([e.event_specific_data for e in failed.all_events if e.is_step_failure])
    assert "workspace gamma: meltano run exited 1" in failure
    assert "Langdock rejected the API key" in failure
    # A rejected key is not retried: it would only spend the key's budget.
    assert not [e for e in failed.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    records = {
        m.asset_key.to_user_string(): m.metadata["records"].value
        for m in results["acme"].asset_materializations_for_node("langdock_meltano_run")
    }
    assert (
        records["langdock/projects_usage"]
        == truth(multi.workspace("acme"), START_DATE, END_DATE)["projects_usage"][0]
    )

    def query(sql: str) -> list[tuple[object, ...]]:
        with duckdb.connect(str(duckdb_file), read_only=True) as connection:
            return connection.sql(sql).fetchall()

    org = {name: multi.workspace(name).workspace.org_id for name in NAMES}
    found = loaded(query, "langdock_raw")
    assert set(found) == {org["acme"], org["beta"]}  # nothing of gamma, nothing mixed
    for name in ("acme", "beta"):
        assert found[org[name]] == truth(multi.workspace(name), START_DATE, END_DATE), name
    assert _states(tmp_path) == {
        "dev:tap-langdock-to-target-duckdb:acme",
        "dev:tap-langdock-to-target-duckdb:beta",
    }

    # A day later: acme's run continues from acme's state (one lookback window + the new day).
    before = {name: len(multi.workspace(name).export_requests) for name in NAMES}
    later = build_defs({**env, "TAP_LANGDOCK_END_DATE": SECOND_END_DATE})
    second = _run(later.resolve_job_def("langdock_load"), "acme", instance)
    assert second.success
    assert _export_days(multi, "acme", before["acme"]) == {END_DATE, SECOND_END_DATE}
    assert len(multi.workspace("beta").export_requests) == before["beta"]
    found = loaded(query, "langdock_raw")
    assert found[org["acme"]] == truth(multi.workspace("acme"), START_DATE, SECOND_END_DATE)
    assert found[org["beta"]] == truth(multi.workspace("beta"), START_DATE, END_DATE)


def test_postgres_three_workspaces_in_parallel_each_equal_to_its_truth(
    isolated_meltano_project: Path, multi: MultiEmulator, tmp_path: Path, postgres: Postgres
) -> None:
    schema = postgres.schema("dagster_raw")
    env = location_env(
        isolated_meltano_project,
        multi,
        tmp_path,
        "target-postgres",
        **postgres.env,
        TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA=schema,
    )
    # Parses the dbt manifest once, before the workers load the same definitions.
    dg.Definitions.validate_loadable(build_defs(env))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(NAMES), mp_context=context) as pool:
        futures = {name: pool.submit(materialize, env, name) for name in NAMES}
        outcomes = {name: future.result(timeout=600) for name, future in futures.items()}
    for name, (success, failures, secrets) in outcomes.items():
        assert success, (name, failures)
        assert not secrets, (name, secrets)

    def query(sql: str) -> list[tuple[object, ...]]:
        with postgres.connect() as connection:
            rows: list[tuple[object, ...]] = connection.execute(sql).fetchall()
            return rows

    found = loaded(query, f'"{schema}"')
    for name in NAMES:
        tenant = multi.workspace(name)
        assert found.pop(tenant.workspace.org_id) == truth(tenant, START_DATE, END_DATE), name
    assert not found
    assert _states(tmp_path) == {f"dev:tap-langdock-to-target-postgres:{name}" for name in NAMES}
