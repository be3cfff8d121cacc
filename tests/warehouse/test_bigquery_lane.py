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
    MARTS,
    START_DATE,
    Loads,
    Run,
    check_second_run_exports,
    clean_env,
    dbt_env,
    load_scenario,
    meltano,
    tap_env,
)
from tests.warehouse.lane_checks import assert_same, check_dbt_artifacts, duckdb_page, report_page
from tests.warehouse.lanes import lane_project, require_lane_tools
from tests.warehouse.warehouses import plain_key

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
        started = time.monotonic()
        for dataset in (RAW, PRIVATE, f"{DBT_SCHEMA}_staging", MARTS_DATASET):
            emulator.create_dataset(dataset)
        base = emulator.client_env()
        loads = load_scenario(
            project,
            "target-bigquery",
            work,
            {**base, "TARGET_BIGQUERY_DATASET": RAW},
            {**base, "TARGET_BIGQUERY_DATASET": PRIVATE},
        )
        seconds["load (3 runs)"] = time.monotonic() - started
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{work / 'dbt-state.db'}",
            **base,
            **dbt_env(work, DBT_SCHEMA, LANGDOCK_RAW_SCHEMA=RAW),
        )
        started = time.monotonic()
        dbt = meltano(project, ["invoke", "dbt-bigquery:build"], env)
        seconds["dbt build"] = time.monotonic() - started
        yield Lane(emulator, project, work, loads, dbt, env, seconds)
    print(f"BigQuery lane timings: {seconds}")


def test_second_run_is_incremental(lane: Lane) -> None:
    check_second_run_exports(lane.loads)


@pytest.mark.parametrize("stream", list(DEFAULT_STREAMS))
def test_one_row_per_primary_key_after_the_upsert(lane: Lane, stream: str) -> None:
    keys = DEFAULT_STREAMS[stream]
    rows = lane.query(f"select {', '.join(keys)} from {RAW}.{stream}")
    loaded = [plain_key(row) for row in rows]
    assert len(loaded) == len(set(loaded)), f"{stream}: duplicate keys after the second run"
    assert set(loaded) == set(lane.loads.reference.records[stream])


def test_the_loader_leaves_no_temporary_tables(lane: Lane) -> None:
    """Each upsert loads a `<stream>__<time>__<uuid>` table, MERGEs it and drops it."""
    rows = lane.query(f"select table_name from {RAW}.INFORMATION_SCHEMA.TABLES")
    assert {name for (name,) in rows} == set(DEFAULT_STREAMS)


@pytest.mark.parametrize("stream", list(EMAIL_COLUMNS))
def test_privacy_mode_leaves_email_columns_null(lane: Lane, stream: str) -> None:
    for column in EMAIL_COLUMNS[stream]:
        [(rows, non_null)] = lane.query(f"select count(*), count({column}) from {PRIVATE}.{stream}")
        assert rows > 0
        assert non_null == 0, f"{stream}.{column}"


def test_dbt_build_succeeds_on_the_bigquery_adapter(lane: Lane) -> None:
    check_dbt_artifacts(lane.dbt, lane.work / "dbt-target", "bigquery")


def test_marts_equal_the_emulators_ground_truth(lane: Lane) -> None:
    for mart in MARTS:
        [(count,)] = lane.query(f"select count(*) from {MARTS_DATASET}.{mart}")
        assert count > 0, mart
    reference = lane.loads.reference.records
    [(projects,)] = lane.query(f"select count(*) from {MARTS_DATASET}.project_usage_daily")
    assert projects == len(reference["projects_usage"])
    expected: dict[str, int] = {}
    for record in reference["projects_usage"].values():
        day = record["window_start"]
        expected[day] = expected.get(day, 0) + (record["messages"] or 0)
    rows = lane.query(
        f"select usage_date, messages_in_projects from {MARTS_DATASET}.workspace_usage_daily"
    )
    assert {plain_key([day])[0]: messages for day, messages in rows} == expected
    [(users, messages)] = lane.query(
        f"select count(*), sum(message_count) from {MARTS_DATASET}.user_usage_daily"
    )
    assert users == len(reference["users_usage"])
    assert messages == sum(r["messages_total"] or 0 for r in reference["users_usage"].values())


def test_the_report_from_bigquery_equals_the_one_from_duckdb(lane: Lane) -> None:
    """The same days through target-duckdb and dbt-duckdb give the same page data."""
    from_duckdb = duckdb_page(lane.project, lane.work)
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
