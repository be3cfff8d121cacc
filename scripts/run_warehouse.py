"""`make run WAREHOUSE=postgres|snowflake`: the main job into another warehouse than DuckDB.

PostgreSQL needs TARGET_POSTGRES_*. Snowflake uses TARGET_SNOWFLAKE_* when
TARGET_SNOWFLAKE_ACCOUNT is set; without it, a local Snowflake emulator (fakesnow, from
.venv-fakesnow) on a free loopback port, its databases kept as files under output/snowflake/.
The loader then runs with the test-only adapter of packages/warehouse-emulators (README,
"Snowflake"). Imported by run_main_job.py, which handles the Langdock side (key or emulator).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import typing as t
from pathlib import Path

from warehouse_emulators.snowflake_lane import SnowflakeEmulator  # packages/warehouse-emulators

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"
SNOWFLAKE_DATA = OUTPUT / "snowflake"


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
    if warehouse != "snowflake":
        msg = f"make run WAREHOUSE={warehouse}: use duckdb (default), postgres or snowflake"
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


def report_env(lane_env: dict[str, str]) -> dict[str, str]:
    """The report's environment: the lane's settings, without the loader's adapter."""
    env = {**os.environ, **lane_env}
    env.pop("LANGDOCK_FAKESNOW_SHIM", None)
    return env
