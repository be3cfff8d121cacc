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
    Loads,
    Run,
    check_second_run_exports,
)
from tests.support.workers import run_root
from tests.warehouse.lane_checks import (
    Destinations,
    assert_same,
    check_dbt_artifacts,
    check_marts_equal_truth,
    check_no_emails,
    check_one_row_per_key,
    duckdb_page,
    load_and_build,
    report_page,
)
from tests.warehouse.lanes import lane_project, require_lane_tools

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
        schema = "TARGET_SNOWFLAKE_DEFAULT_TARGET_SCHEMA"
        where = Destinations(
            emulator.client_env(), {schema: RAW}, {schema: PRIVATE}, RAW, DBT_SCHEMA
        )
        built = load_and_build(project, "target-snowflake", work, where, seconds)
        yield Lane(emulator, project, work, built.loads, built.dbt, built.env, seconds)
    print(f"Snowflake lane timings: {seconds}")


def test_second_run_is_incremental(lane: Lane) -> None:
    check_second_run_exports(lane.loads)


@pytest.mark.parametrize("stream", list(DEFAULT_STREAMS))
def test_one_row_per_primary_key_after_the_upsert(lane: Lane, stream: str) -> None:
    table = f"{RAW}.{stream.upper()}"
    check_one_row_per_key(lane.query, table, stream, lane.loads.reference)


@pytest.mark.parametrize("stream", list(EMAIL_COLUMNS))
def test_privacy_mode_leaves_email_columns_null(lane: Lane, stream: str) -> None:
    check_no_emails(lane.query, f"{PRIVATE}.{stream.upper()}", stream)


def test_dbt_build_succeeds_on_the_snowflake_adapter(lane: Lane) -> None:
    check_dbt_artifacts(lane.dbt, lane.work / "dbt-target", "snowflake")


def test_marts_equal_the_emulators_ground_truth(lane: Lane) -> None:
    check_marts_equal_truth(lane.query, f"{DBT_SCHEMA.upper()}_MARTS", lane.loads.reference)


def test_the_report_from_snowflake_equals_the_one_from_duckdb(
    lane: Lane, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same days through target-duckdb and dbt-duckdb give the same page data."""
    from_duckdb = duckdb_page(lane.project, lane.work, run_root(tmp_path_factory))
    snowflake_env = {k: v for k, v in lane.env.items() if k != "LANGDOCK_FAKESNOW_SHIM"}
    from_snowflake = report_page(
        ["--snowflake-env", "--schema", f"{DBT_SCHEMA}_marts"],
        lane.work / "snowflake.html",
        snowflake_env,
    )
    assert_same(from_snowflake, from_duckdb, "page")
