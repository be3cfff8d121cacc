"""Where the warehouse lanes' tools are: `make install-lanes` puts them in the repository.

The Meltano plugins of the lanes (dbt with each adapter, the Snowflake and BigQuery loaders)
are installed once into the repository's .meltano/, the emulators into .venv-fakesnow/ and
.venv-bqemulator/; the tests use them from there instead of installing them per run.
Without them the lane tests skip, or fail where REQUIRE_LANES=1 (.ci/run).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.meltano_project import REPO, clean_env, make_project, meltano, missing

# The Meltano utility whose dbt has each adapter (meltano.yml).
DBT_PLUGIN = {
    "duckdb": "dbt",
    "postgres": "dbt",
    "snowflake": "dbt-snowflake",
    "bigquery": "dbt-bigquery",
}


def plugin_dir(kind: str, name: str) -> Path:
    """A plugin's directory in the repository's .meltano/ (kind: loaders, utilities ...)."""
    return REPO / ".meltano" / kind / name


def lane_dbt(adapter: str) -> Path:
    return plugin_dir("utilities", DBT_PLUGIN[adapter]) / "venv" / "bin" / "dbt"


def lanes_required() -> bool:
    return os.environ.get("REQUIRE_LANES") == "1"


# Plugins of the repository's .meltano/ each lane's projects link to instead of installing
# (DuckDB's too: the lanes compare their report with one built from DuckDB).
LINKED_PLUGINS = {
    "snowflake": (
        ("loaders", "target-snowflake"),
        ("loaders", "target-duckdb"),
        ("utilities", "dbt-snowflake"),
        ("utilities", "dbt"),
    ),
    "bigquery": (
        ("loaders", "target-bigquery"),
        ("loaders", "target-duckdb"),
        ("utilities", "dbt-bigquery"),
        ("utilities", "dbt"),
    ),
}
# What `make install-lanes` adds per lane: the loader's adapter hook and the emulator's venv.
LANE_EXTRAS = {
    "snowflake": ("target-snowflake", "langdock_fakesnow_shim.pth", ".venv-fakesnow"),
    "bigquery": ("target-bigquery", "langdock_bqemulator_shim.pth", ".venv-bqemulator"),
}


def require_lane_tools(lane: str = "snowflake") -> None:
    """Skip (or fail with REQUIRE_LANES=1) unless `make install-lanes` has run."""
    absent = [name for kind, name in LINKED_PLUGINS[lane] if not plugin_dir(kind, name).is_dir()]
    loader, hook, venv = LANE_EXTRAS[lane]
    if not list((plugin_dir("loaders", loader) / "venv").glob(f"lib/*/site-packages/{hook}")):
        absent.append(f"{loader}'s adapter hook")
    if not (REPO / venv / ".make-installed").exists():
        absent.append(venv)
    if absent:
        missing(
            f"the {lane} lane needs `make install-lanes` (missing: " + ", ".join(absent) + ")",
            required=lanes_required(),
        )


def lane_project(directory: Path, lane: str = "snowflake") -> Path:
    """A Meltano project like the repository's; the lane plugins linked, the tap installed."""
    project = make_project(directory, link_packages=True)
    for kind, name in LINKED_PLUGINS[lane]:
        link = project / ".meltano" / kind / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(plugin_dir(kind, name), target_is_directory=True)
    env = clean_env(MELTANO_DATABASE_URI=f"sqlite:///{directory / 'install.db'}")
    meltano(project, ["install", "tap-langdock"], env, timeout=900).check()
    return project
