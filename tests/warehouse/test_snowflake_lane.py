"""The Snowflake lane: Meltano → target-snowflake → the fakesnow emulator → dbt-snowflake → report.

The Langdock emulator's data goes through the real loader (meltanolabs-target-snowflake, its
stage path replaced by the test-only adapter of packages/warehouse-emulators) into fakesnow's
HTTP server, twice with lookback (the second run is incremental and upserts), then
`dbt build` with the Snowflake adapter. The marts must equal the emulator's ground truth, and
the report built from Snowflake must carry the same page data as one built from DuckDB for the
same days. The emulator accepts more than Snowflake does: the dialect is checked separately
(test_dbt_portability.py). The tools come from `make install-lanes` (tests/warehouse/lanes.py).
"""

from __future__ import annotations

import dataclasses
import time
import typing as t
from pathlib import Path

import pytest
from warehouse_emulators.snowflake_lane import SnowflakeEmulator

from tests.support.meltano_project import (
    DEFAULT_STREAMS,
    EMAIL_COLUMNS,
    MARTS,
    Loads,
    Run,
    check_second_run_exports,
    clean_env,
    dbt_env,
    load_scenario,
    meltano,
)
from tests.warehouse.lane_checks import assert_same, check_dbt_artifacts, duckdb_page, report_page
from tests.warehouse.lanes import lane_project, require_lane_tools
from tests.warehouse.warehouses import plain_key

pytestmark = pytest.mark.slow

RAW, PRIVATE, DBT_SCHEMA = "RAW", "PRIVATE", "lane"


@dataclasses.dataclass
class Lane:
    emulator: SnowflakeEmulator
    project: Path
    work: Path
    loads: Loads
    dbt: Run
    env: dict[str, str]
    seconds: dict[str, float]

    def query(self, sql: str) -> list[tuple[t.Any, ...]]:
        import snowflake.connector

        with snowflake.connector.connect(**self.emulator.connect_kwargs()) as connection:
            cursor = connection.cursor()
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def lane(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Lane]:
    """One emulator, one scenario load and one dbt build for the whole module."""
    require_lane_tools()
    work = tmp_path_factory.mktemp("snowflake-lane")
    seconds: dict[str, float] = {}
    started = time.monotonic()
    project = lane_project(work / "project")
    seconds["project"] = time.monotonic() - started
    with SnowflakeEmulator(Path(__file__).resolve().parents[2], work / "fakesnow") as emulator:
        base = emulator.client_env()
        started = time.monotonic()
        loads = load_scenario(
            project,
            "target-snowflake",
            work,
            {**base, "TARGET_SNOWFLAKE_DEFAULT_TARGET_SCHEMA": RAW},
            {**base, "TARGET_SNOWFLAKE_DEFAULT_TARGET_SCHEMA": PRIVATE},
        )
        seconds["load (3 runs)"] = time.monotonic() - started
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{work / 'dbt-state.db'}",
            **base,
            **dbt_env(work, DBT_SCHEMA, LANGDOCK_RAW_SCHEMA=RAW),
        )
        started = time.monotonic()
        dbt = meltano(project, ["invoke", "dbt-snowflake:build"], env)
        seconds["dbt build"] = time.monotonic() - started
        yield Lane(emulator, project, work, loads, dbt, env, seconds)
    print(f"Snowflake lane timings: {seconds}")


def test_second_run_is_incremental(lane: Lane) -> None:
    check_second_run_exports(lane.loads)


@pytest.mark.parametrize("stream", list(DEFAULT_STREAMS))
def test_one_row_per_primary_key_after_the_upsert(lane: Lane, stream: str) -> None:
    keys = DEFAULT_STREAMS[stream]
    rows = lane.query(f"select {', '.join(keys)} from {RAW}.{stream.upper()}")
    loaded = [plain_key(row) for row in rows]
    assert len(loaded) == len(set(loaded)), f"{stream}: duplicate keys after the second run"
    assert set(loaded) == set(lane.loads.reference.records[stream])


@pytest.mark.parametrize("stream", list(EMAIL_COLUMNS))
def test_privacy_mode_leaves_email_columns_null(lane: Lane, stream: str) -> None:
    for column in EMAIL_COLUMNS[stream]:
        [(rows, non_null)] = lane.query(
            f"select count(*), count({column}) from {PRIVATE}.{stream.upper()}"
        )
        assert rows > 0
        assert non_null == 0, f"{stream}.{column}"


def test_dbt_build_succeeds_on_the_snowflake_adapter(lane: Lane) -> None:
    check_dbt_artifacts(lane.dbt, lane.work / "dbt-target", "snowflake")


def test_marts_equal_the_emulators_ground_truth(lane: Lane) -> None:
    marts = f"{DBT_SCHEMA.upper()}_MARTS"
    for mart in MARTS:
        [(count,)] = lane.query(f"select count(*) from {marts}.{mart}")
        assert count > 0, mart
    reference = lane.loads.reference.records
    [(projects,)] = lane.query(f"select count(*) from {marts}.project_usage_daily")
    assert projects == len(reference["projects_usage"])
    expected: dict[str, int] = {}
    for record in reference["projects_usage"].values():
        day = record["window_start"]
        expected[day] = expected.get(day, 0) + (record["messages"] or 0)
    rows = lane.query(f"select usage_date, messages_in_projects from {marts}.workspace_usage_daily")
    assert {plain_key([day])[0]: messages for day, messages in rows} == expected
    [(users, messages)] = lane.query(
        f"select count(*), sum(message_count) from {marts}.user_usage_daily"
    )
    assert users == len(reference["users_usage"])
    assert messages == sum(r["messages_total"] or 0 for r in reference["users_usage"].values())


def test_the_report_from_snowflake_equals_the_one_from_duckdb(lane: Lane) -> None:
    """The same days through target-duckdb and dbt-duckdb give the same page data."""
    from_duckdb = duckdb_page(lane.project, lane.work)
    snowflake_env = {k: v for k, v in lane.env.items() if k != "LANGDOCK_FAKESNOW_SHIM"}
    from_snowflake = report_page(
        ["--snowflake-env", "--schema", f"{DBT_SCHEMA}_marts"],
        lane.work / "snowflake.html",
        snowflake_env,
    )
    assert_same(from_snowflake, from_duckdb, "page")
