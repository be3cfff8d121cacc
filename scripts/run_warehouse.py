"""`make run WAREHOUSE=postgres|snowflake|bigquery`: the main job into another warehouse.

PostgreSQL needs TARGET_POSTGRES_*. Snowflake uses TARGET_SNOWFLAKE_* when
TARGET_SNOWFLAKE_ACCOUNT is set; without it, a local Snowflake emulator (fakesnow, from
.venv-fakesnow) on a free loopback port, its databases kept as files under output/snowflake/.
The loader then runs with the test-only adapter of packages/warehouse-emulators (README,
"Snowflake"). BigQuery uses TARGET_BIGQUERY_* when TARGET_BIGQUERY_PROJECT is set; without it, a
local BigQuery emulator (bqemulator, from .venv-bqemulator), its data under output/bigquery/
(README, "BigQuery"). Imported by run_main_job.py, which handles the Langdock side (key or
emulator).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import typing as t
from pathlib import Path

from warehouse_emulators.bigquery_lane import BigQueryEmulator  # packages/warehouse-emulators
from warehouse_emulators.snowflake_lane import SnowflakeEmulator

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"
SNOWFLAKE_DATA = OUTPUT / "snowflake"
BIGQUERY_DATA = OUTPUT / "bigquery"
# The variables the test-only adapters of the emulator lanes are switched on by.
SHIM_VARIABLES = ("LANGDOCK_FAKESNOW_SHIM", "LANGDOCK_BQEMULATOR_SHIM")


@dataclasses.dataclass
class Lane:
    """What the job runs for one warehouse, and how the report reaches it."""

    loader: str
    dbt_task: str
    report_args: list[str]
    env: dict[str, str]
    fresh: bool = False  # no data kept from an earlier run: start from start_date


def _say(message: str) -> None:
    print(f"==> {message}", flush=True)


def _need(env: t.Mapping[str, str], names: list[str], what: str) -> None:
    absent = [name for name in names if not env.get(name)]
    if absent:
        msg = f"make run WAREHOUSE={what}: set " + ", ".join(absent)
        raise SystemExit(msg)


@contextlib.contextmanager
def lane(warehouse: str, env: dict[str, str]) -> t.Iterator[Lane]:
    """The lane of ``warehouse``, with its emulator running while the block runs."""
    if warehouse == "postgres":
        _need(env, ["TARGET_POSTGRES_HOST", "TARGET_POSTGRES_DATABASE"], warehouse)
        yield Lane("target-postgres", "dbt:build-postgres", ["--postgres-env"], {})
        return
    if warehouse == "bigquery":
        with _bigquery(env) as bigquery:
            yield bigquery
        return
    if warehouse != "snowflake":
        msg = (
            f"make run WAREHOUSE={warehouse}: use duckdb (default), postgres, snowflake or bigquery"
        )
        raise SystemExit(msg)
    if env.get("TARGET_SNOWFLAKE_ACCOUNT"):
        _need(env, ["TARGET_SNOWFLAKE_USER", "TARGET_SNOWFLAKE_DATABASE"], warehouse)
        _say(f"loading into Snowflake account {env['TARGET_SNOWFLAKE_ACCOUNT']}")
        yield Lane("target-snowflake", "dbt-snowflake:build", ["--snowflake-env"], {})
        return
    fresh = not SNOWFLAKE_DATA.exists()
    with SnowflakeEmulator(ROOT, SNOWFLAKE_DATA) as emulator:
        print(
            "No Snowflake credentials (TARGET_SNOWFLAKE_ACCOUNT): loading into a local "
            f"Snowflake emulator (fakesnow) at http://127.0.0.1:{emulator.port}, its data in "
            f"{SNOWFLAKE_DATA.relative_to(ROOT)}/",
            flush=True,
        )
        extra = emulator.client_env()
        yield Lane("target-snowflake", "dbt-snowflake:build", ["--snowflake-env"], extra, fresh)
    _say("Snowflake emulator stopped")


@contextlib.contextmanager
def _bigquery(env: dict[str, str]) -> t.Iterator[Lane]:
    """BigQuery itself with TARGET_BIGQUERY_PROJECT, else the local emulator."""
    loader, dbt_task, report_args = "target-bigquery", "dbt-bigquery:build", ["--bigquery-env"]
    if env.get("TARGET_BIGQUERY_PROJECT"):
        _say(f"loading into BigQuery project {env['TARGET_BIGQUERY_PROJECT']}")
        yield Lane(loader, dbt_task, report_args, {})
        return
    fresh = not (BIGQUERY_DATA / "bqemulator.duckdb").exists()
    with BigQueryEmulator(ROOT, BIGQUERY_DATA) as emulator:
        print(
            "No BigQuery credentials (TARGET_BIGQUERY_PROJECT): loading into a local "
            f"BigQuery emulator (bqemulator) at {emulator.url}, its data in "
            f"{BIGQUERY_DATA.relative_to(ROOT)}/",
            flush=True,
        )
        # The loader would create its dataset itself, but dbt's CREATE SCHEMA does not
        # register one in bqemulator's catalog: all three are created here, through its API.
        schema = env.get("DBT_SCHEMA") or "langdock"
        raw = env.get("TARGET_BIGQUERY_DATASET") or "langdock_raw"
        for dataset in (raw, f"{schema}_staging", f"{schema}_marts"):
            emulator.create_dataset(dataset)
        yield Lane(loader, dbt_task, report_args, emulator.client_env(), fresh)
    _say("BigQuery emulator stopped")


def report_env(lane_env: dict[str, str]) -> dict[str, str]:
    """The report's environment: the lane's settings, without the loaders' adapters."""
    env = {**os.environ, **lane_env}
    for name in SHIM_VARIABLES:
        env.pop(name, None)
    return env
