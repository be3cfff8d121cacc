"""The dbt project compiles for all four adapters into SQL their real warehouses accept.

No warehouse and no emulator: `dbt compile` with ``langdock_offline_compile`` sends no query
(the introspecting macros assume what the loaders create), and the compiled SQL of every model
and test is scanned for constructs the real warehouse rejects (`tests/warehouse/dialects.py`,
docs/warehouse-dialects.md). The adapters are the Meltano utilities `make install-lanes`
installs into the repository's .meltano/ (dbt, dbt-snowflake, dbt-bigquery); without them
the test skips, and fails where REQUIRE_LANES=1 (.ci/run).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.meltano_project import REPO, clean_env, missing
from tests.warehouse.dialects import ALL, scan_compiled
from tests.warehouse.lanes import lane_dbt, lanes_required

# The type each loader gives the tap's date-time columns (what introspection would find).
LOADER_TIMESTAMP_TYPE = {
    "duckdb": "timestamp with time zone",
    "postgres": "timestamp with time zone",
    "snowflake": "timestamp_ntz",
    "bigquery": "timestamp",
}
# Connection settings the profile needs to render; offline, nothing connects to them.
OFFLINE_PROFILE_ENV = {
    "duckdb": {"DBT_DUCKDB_PATH": ":memory:"},
    "postgres": {
        "TARGET_POSTGRES_HOST": "offline.invalid",
        "TARGET_POSTGRES_PORT": "5432",
        "TARGET_POSTGRES_USER": "offline",
        "TARGET_POSTGRES_PASSWORD": "offline",
        "TARGET_POSTGRES_DATABASE": "offline",
    },
    "snowflake": {
        "TARGET_SNOWFLAKE_ACCOUNT": "offline.invalid",
        "TARGET_SNOWFLAKE_USER": "offline",
        "TARGET_SNOWFLAKE_PASSWORD": "offline",
    },
    "bigquery": {"TARGET_BIGQUERY_PROJECT": "offline-project", "DBT_BIGQUERY_TOKEN": "offline"},
}
SEEDED = """
select
    cast(total_cost_usd as double precision) as cost,
    cast(period_start as timestamp with time zone) at time zone 'UTC' as started,
    extract(date from current_timestamp() at time zone 'Europe/Berlin') as allowed_day,
    name::text as name_text,
    cast(name as varchar) as name_varchar
from {{ source('langdock', 'models_usage') }}
union
select 1, null, null, null, null
"""


def dbt_compile(adapter: str, work: Path, *, select: str | None = None) -> Path:
    """`dbt compile` of a copy of transform/ for ``adapter``; the compiled SQL's directory."""
    project = work / "transform"
    if not project.exists():
        shutil.copytree(
            REPO / "transform",
            project,
            ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"),
        )
    variables = {
        "langdock_offline_compile": True,
        "langdock_offline_column_type": LOADER_TIMESTAMP_TYPE[adapter],
    }
    command = [
        str(lane_dbt(adapter)), "compile", "--project-dir", str(project),
        "--profiles-dir", str(project), "--target", adapter, "--no-populate-cache",
        "--vars", json.dumps(variables),
    ]  # fmt: skip
    if select:
        command += ["--select", select]
    env = clean_env(
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
        **OFFLINE_PROFILE_ENV[adapter],
    )
    result = subprocess.run(
        command, cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"dbt compile ({adapter}):\n{result.stdout[-4000:]}"
    return work / "target" / "compiled"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The whole project compiled for each adapter (in parallel: each is a separate dbt)."""
    absent = [adapter for adapter in ALL if not lane_dbt(adapter).exists()]
    if absent:
        missing(
            "dbt for " + ", ".join(absent) + " is not installed: run `make install-lanes`",
            required=lanes_required(),
        )
    root = tmp_path_factory.mktemp("portability")
    with ThreadPoolExecutor(max_workers=2) as pool:
        paths = pool.map(lambda adapter: dbt_compile(adapter, root / adapter), ALL)
        return dict(zip(ALL, paths, strict=True))


@pytest.mark.parametrize("adapter", ALL)
def test_compiled_sql_uses_only_what_the_warehouse_accepts(
    compiled: dict[str, Path], adapter: str
) -> None:
    findings, scanned = scan_compiled(adapter, compiled[adapter])
    assert scanned >= 13 + 100, f"{adapter}: only {scanned} compiled files (models and tests)"
    assert not findings, f"{len(findings)} finding(s):\n" + "\n".join(map(str, findings))


def test_each_adapter_gets_its_own_sql(compiled: dict[str, Path]) -> None:
    """The dispatch macros really dispatch: the same models compile differently per adapter."""

    def text(adapter: str, model: str) -> str:
        path = compiled[adapter] / "langdock" / "models" / "staging" / f"{model}.sql"
        return path.read_text(encoding="utf-8").lower()

    users = {adapter: text(adapter, "stg_langdock__users_usage") for adapter in ALL}
    assert "float64" in users["bigquery"]
    assert "double precision" in users["postgres"]
    audit = {adapter: text(adapter, "stg_langdock__audit_logs") for adapter in ALL}
    assert "at time zone" in audit["postgres"]
    assert "timestamp_ntz" in audit["snowflake"]
    assert "at time zone" not in audit["snowflake"] + audit["bigquery"]


def test_the_check_fails_on_a_seeded_violation(tmp_path: Path) -> None:
    """PostgreSQL's dialect is caught for BigQuery; its own EXTRACT(... AT TIME ZONE) is not."""
    if not lane_dbt("bigquery").exists():
        missing(
            "dbt-bigquery is not installed: run `make install-lanes`", required=lanes_required()
        )
    shutil.copytree(REPO / "transform", tmp_path / "transform",
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))  # fmt: skip
    (tmp_path / "transform" / "models" / "staging" / "zz_seeded.sql").write_text(SEEDED)
    compiled_dir = dbt_compile("bigquery", tmp_path, select="zz_seeded")
    findings, _ = scan_compiled("bigquery", compiled_dir)
    rules = sorted({finding.rule.split(" (")[0] for finding in findings})
    assert rules == [
        ":: cast",
        "AT TIME ZONE outside EXTRACT",
        "DOUBLE PRECISION",
        "TIMESTAMP WITH TIME ZONE",
        "UNION without ALL/DISTINCT",
        "cast to TEXT/VARCHAR",
    ], "\n".join(map(str, findings))
    at_lines = [f.line for f in findings if f.rule.startswith("AT TIME ZONE")]
    assert len(at_lines) == 1, "EXTRACT(... AT TIME ZONE ...) is BigQuery's own and allowed"
