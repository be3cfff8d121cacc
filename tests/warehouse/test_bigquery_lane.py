"""The BigQuery lane: Meltano → target-bigquery → the bqemulator emulator → dbt-bigquery → report.

The Langdock emulator's data goes through the real loader (z3 target-bigquery, `batch_job`,
`denormalized`, upsert on the keys) into bqemulator, twice with lookback (the second run is
incremental and its MERGE updates rows), then `dbt build` with the BigQuery adapter. The marts
must equal the emulator's ground truth, and the report built from BigQuery must carry the same
page data as one built from DuckDB for the same days. What stands in for what: the emulator
runs through packages/warehouse-emulators/warehouse_emulators/bqemulator_server.py (gzip
uploads, qualified MERGE SET columns) and the loader's fixed eventual-consistency waits are
off (bigquery_shim/); README, "BigQuery". bqemulator accepts more than BigQuery does: the
dialect is checked separately (test_dbt_portability.py, test_report_sql_portability.py).
"""

from __future__ import annotations

import dataclasses
import time
import typing as t
from pathlib import Path

import pytest
from warehouse_emulators.bigquery_lane import BigQueryEmulator

from langdock_emulator import Emulator
from tests.support.meltano_project import (
    API_KEY,
    DEFAULT_STREAMS,
    EMAIL_COLUMNS,
    START_DATE,
    Loads,
    Run,
    check_second_run_exports,
    clean_env,
    meltano,
    tap_env,
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

RAW, PRIVATE, DBT_SCHEMA = "raw", "private", "lane"
MARTS_DATASET = f"{DBT_SCHEMA}_marts"


@dataclasses.dataclass
class Lane:
    emulator: BigQueryEmulator
    project: Path
    work: Path
    loads: Loads
    dbt: Run
    env: dict[str, str]
    seconds: dict[str, float]

    def query(self, sql: str) -> list[tuple[t.Any, ...]]:
        return query(self.emulator, sql)


def query(emulator: BigQueryEmulator, sql: str) -> list[tuple[t.Any, ...]]:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    client = bigquery.Client(
        project=emulator.project,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": emulator.url},
    )
    try:
        return [tuple(row.values()) for row in client.query(sql).result()]
    finally:
        client.close()  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def lane(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Lane]:
    """One emulator, one scenario load and one dbt build for the whole module."""
    require_lane_tools("bigquery")
    work = tmp_path_factory.mktemp("bigquery-lane")
    seconds: dict[str, float] = {}
    started = time.monotonic()
    project = lane_project(work / "project", "bigquery")
    seconds["project"] = time.monotonic() - started
    root = Path(__file__).resolve().parents[2]
    with BigQueryEmulator(root, work / "bqemulator") as emulator:
        for dataset in (RAW, PRIVATE, f"{DBT_SCHEMA}_staging", MARTS_DATASET):
            emulator.create_dataset(dataset)
        dataset = "TARGET_BIGQUERY_DATASET"
        where = Destinations(
            emulator.client_env(), {dataset: RAW}, {dataset: PRIVATE}, RAW, DBT_SCHEMA
        )
        built = load_and_build(project, "target-bigquery", work, where, seconds)
        yield Lane(emulator, project, work, built.loads, built.dbt, built.env, seconds)
    print(f"BigQuery lane timings: {seconds}")


def test_second_run_is_incremental(lane: Lane) -> None:
    check_second_run_exports(lane.loads)


@pytest.mark.parametrize("stream", list(DEFAULT_STREAMS))
def test_one_row_per_primary_key_after_the_upsert(lane: Lane, stream: str) -> None:
    check_one_row_per_key(lane.query, f"{RAW}.{stream}", stream, lane.loads.reference)


def test_the_loader_leaves_no_temporary_tables(lane: Lane) -> None:
    """Each upsert loads a `<stream>__<time>__<uuid>` table, MERGEs it and drops it."""
    rows = lane.query(f"select table_name from {RAW}.INFORMATION_SCHEMA.TABLES")
    assert {name for (name,) in rows} == set(DEFAULT_STREAMS)


@pytest.mark.parametrize("stream", list(EMAIL_COLUMNS))
def test_privacy_mode_leaves_email_columns_null(lane: Lane, stream: str) -> None:
    check_no_emails(lane.query, f"{PRIVATE}.{stream}", stream)


def test_dbt_build_succeeds_on_the_bigquery_adapter(lane: Lane) -> None:
    check_dbt_artifacts(lane.dbt, lane.work / "dbt-target", "bigquery")


def test_marts_equal_the_emulators_ground_truth(lane: Lane) -> None:
    check_marts_equal_truth(lane.query, MARTS_DATASET, lane.loads.reference)


def test_the_report_from_bigquery_equals_the_one_from_duckdb(
    lane: Lane, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same days through target-duckdb and dbt-duckdb give the same page data."""
    from_duckdb = duckdb_page(lane.project, lane.work, run_root(tmp_path_factory))
    bigquery_env = {k: v for k, v in lane.env.items() if k != "LANGDOCK_BQEMULATOR_SHIM"}
    from_bigquery = report_page(
        ["--bigquery-env", "--schema", MARTS_DATASET], lane.work / "bigquery.html", bigquery_env
    )
    assert_same(from_bigquery, from_duckdb, "page")


def test_a_failed_load_job_fails_the_run_and_saves_no_state(lane: Lane) -> None:
    """langdock-target-bigquery: a load job failing in the run's last batch stops the run.

    z3 target-bigquery 0.7.2 alone logs it, emits the state and exits 0 (README, "BigQuery").
    Here every load job fails for real: the gzip adapter is off, and bqemulator cannot read the
    loader's gzip uploads. One stream, one day: each batch is the run's last.
    """
    root = Path(__file__).resolve().parents[2]
    work = lane.work / "failed-load"
    with BigQueryEmulator(root, work / "bqemulator", keep_gzip=True) as emulator:
        emulator.create_dataset(RAW)
        state_db = f"sqlite:///{work / 'state.db'}"
        with Emulator(api_key=API_KEY, seed=7) as langdock:
            env = clean_env(
                MELTANO_DATABASE_URI=state_db,
                **tap_env(langdock.url, end_date=START_DATE),
                **emulator.client_env(),
                TARGET_BIGQUERY_DATASET=RAW,
                TAP_LANGDOCK__SELECT='["projects_usage.*"]',
            )
            command = ["--environment=emulator", "run", "tap-langdock", "target-bigquery"]
            run = meltano(lane.project, command, env)
        assert run.returncode != 0, "the run passed although its load job failed"
        assert "a BigQuery load job failed" in run.output
        listed = meltano(lane.project, ["--environment=emulator", "state", "list"], env).check()
        assert "tap-langdock-to-target-bigquery" not in listed.output, listed.output
        tables = {
            name
            for (name,) in query(
                emulator, f"select table_name from {RAW}.INFORMATION_SCHEMA.TABLES"
            )
        }
        if "projects_usage" in tables:
            assert query(emulator, f"select count(*) from {RAW}.projects_usage") == [(0,)]
