"""dbt downstream of several workspaces: one row per workspace and grain, totals per workspace.

The emulator's workspaces share model names and providers, so a staging or mart grain
without workspace_id would fold two workspaces' rows of a model and day into one (and
dbt's unique_combination tests, run by the dbt asset's `dbt build`, would say so).
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from langdock_dagster.dbt import dbt_definitions
from langdock_dagster.location import build_defs, location_settings
from langdock_emulator.tenants import MultiEmulator
from tests.dagster.conftest import END_DATE, NAMES, START_DATE, location_env
from tests.dagster.truth import days, truth

pytestmark = pytest.mark.slow
MARTS = "langdock_marts"
# (raw table of tests.dagster.truth, its mart, the mart's summed column, the mart's grain)
MART_GRAINS = (
    ("projects_usage", "project_usage_daily", "message_count", "project_id"),
    (
        "models_usage",
        "model_usage_daily",
        "request_count",
        "model_name, model_provider, is_bring_your_own_key",
    ),
    ("api_keys_usage", "api_key_usage_daily", "request_count", "api_key_id"),
)
GRAIN_TAIL = "usage_date, window_end, window_timezone"


# dagster-dbt 0.29.27 itself reads the deprecated context.op (asset_utils.py); not our call.
@pytest.mark.filterwarnings("ignore:AssetExecutionContext.op is deprecated:DeprecationWarning")
def test_marts_hold_one_row_per_workspace_and_grain_with_each_workspaces_totals(
    isolated_meltano_project: Path,
    multi: MultiEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    duckdb_file = tmp_path / "langdock.duckdb"
    env = location_env(
        isolated_meltano_project,
        multi,
        tmp_path,
        "target-duckdb",
        TARGET_DUCKDB_FILEPATH=str(duckdb_file),
    )
    # dagster-dbt's dbt inherits the process environment, as under `dagster dev`.
    for name in ("TARGET_DUCKDB_FILEPATH", "DBT_TARGET_PATH", "DBT_LOG_PATH"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.setenv("DBT_SCHEMA", "langdock")
    # instance_for_test removes its temporary directory; an ephemeral instance leaves it to
    # the garbage collector, whose ResourceWarning fails the session.
    with dg.instance_for_test() as instance:
        job = build_defs(env).resolve_job_def("langdock_load")
        for name in NAMES:
            result = job.execute_in_process(
                partition_key=name, instance=instance, raise_on_error=False
            )
            assert result.success, name
        dbt_assets, resources = dbt_definitions(location_settings(env), env)
        assert dbt_assets, "the code location found no dbt (meltano install dbt)"
        built = dg.materialize(
            dbt_assets, resources=resources, instance=instance, raise_on_error=False
        )
        failures = [str(e.event_specific_data) for e in built.all_events if e.is_step_failure]
        assert built.success, failures

    def query(sql: str) -> list[tuple[t.Any, ...]]:
        with duckdb.connect(str(duckdb_file), read_only=True) as connection:
            return connection.sql(sql).fetchall()

    org = {name: multi.workspace(name).workspace.org_id for name in NAMES}
    expected = {org[name]: truth(multi.workspace(name), START_DATE, END_DATE) for name in NAMES}
    for table, mart, column, grain in MART_GRAINS:
        keys = f"workspace_id, {grain}, {GRAIN_TAIL}"
        [(rows, distinct)] = query(f"select count(*), count(distinct ({keys})) from {MARTS}.{mart}")
        assert rows == distinct, f"{mart}: {rows - distinct} row(s) share a grain"
        found = {
            str(workspace): (int(count), round(float(total or 0), 6))
            for workspace, count, total in query(
                f"select workspace_id, count(*), sum({column}) from {MARTS}.{mart} "
                "group by workspace_id"
            )
        }
        assert found == {ws: totals[table] for ws, totals in expected.items()}, mart

    # The workspace rollup: one row per workspace and day, each adding up that workspace.
    rollup = query(
        f"select workspace_id, count(*), count(distinct usage_date), sum(model_request_count), "
        f"sum(api_request_count) from {MARTS}.workspace_usage_daily group by workspace_id"
    )
    assert {
        str(ws): (int(n), int(d), round(float(m), 6), round(float(a), 6))
        for ws, n, d, m, a in rollup
    } == {
        ws: (
            len(days(START_DATE, END_DATE)),
            len(days(START_DATE, END_DATE)),
            totals["models_usage"][1],
            totals["api_keys_usage"][1],
        )
        for ws, totals in expected.items()
    }
