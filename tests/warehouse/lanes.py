"""Where the warehouse lanes' tools are: `make install-lanes` puts them in the repository.

The Meltano plugins of the lanes (dbt with each adapter, the Snowflake and BigQuery loaders)
are installed once into the repository's .meltano/, the emulators into .venv-fakesnow/ and
.venv-bqemulator/; the tests use them from there instead of installing them per run.
Without them the lane tests skip, or fail where REQUIRE_LANES=1 (.ci/run).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.meltano_project import REPO

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
