"""How the code location is built from the environment (`build_defs`).

LANGDOCK_PROJECT_ROOT       the Meltano project (default: this repository)
LANGDOCK_WORKSPACES_FILE    the workspaces file (default: <project>/workspaces.yml)
LANGDOCK_DAGSTER_LOADER     the Meltano loader (default: target-duckdb, as `make run`)
LANGDOCK_DAGSTER_ENVIRONMENT  the Meltano environment (default: meltano.yml's default)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
import yaml

from langdock_dagster.dbt import dbt_definitions
from langdock_dagster.load import LoadSettings, load_assets, selected_streams
from langdock_dagster.meltano_run import meltano_executable
from langdock_dagster.workspaces import WorkspacesFileError, load_workspaces, workspaces_file

REPOSITORY = Path(__file__).resolve().parents[3]
DEFAULT_LOADER = "target-duckdb"
# Loaders that write one local file: a single writer at a time.
FILE_LOADERS = {"target-duckdb": "TARGET_DUCKDB_FILEPATH"}


def location_settings(environ: Mapping[str, str]) -> LoadSettings:
    """Raises WorkspacesFileError (one line) for a bad workspaces file or loader."""
    project = Path(environ.get("LANGDOCK_PROJECT_ROOT") or REPOSITORY).resolve()
    meltano_yml = yaml.safe_load((project / "meltano.yml").read_text(encoding="utf-8"))
    loader = environ.get("LANGDOCK_DAGSTER_LOADER") or DEFAULT_LOADER
    loaders = [p.get("name") for p in meltano_yml.get("plugins", {}).get("loaders", [])]
    if loader not in loaders:
        raise WorkspacesFileError(
            f"LANGDOCK_DAGSTER_LOADER={loader!r} is not a loader of {project / 'meltano.yml'}: "
            f"use one of {', '.join(map(str, loaders))}"
        )
    lock = None
    if loader in FILE_LOADERS:
        target = environ.get(FILE_LOADERS[loader]) or str(project / "output" / "langdock.duckdb")
        lock = Path(target + ".writer-lock")
        lock.parent.mkdir(parents=True, exist_ok=True)
    return LoadSettings(
        project=project,
        meltano=meltano_executable(environ),
        loader=loader,
        streams=selected_streams(meltano_yml),
        workspaces=tuple(load_workspaces(workspaces_file(project, environ))),
        environment=environ.get("LANGDOCK_DAGSTER_ENVIRONMENT") or None,
        retry_delay_seconds=float(environ.get("LANGDOCK_DAGSTER_RETRY_DELAY") or 60),
        writer_lock=lock,
    )


def build_defs(environ: Mapping[str, str] | None = None) -> dg.Definitions:
    environ = dict(os.environ if environ is None else environ)
    settings = location_settings(environ)
    load = load_assets(settings, environ)
    job = dg.define_asset_job(
        "langdock_load",
        selection=dg.AssetSelection.assets(load),
        # One run per workspace at a time comes from dagster.yaml (dagster/partition); this
        # tag lets it also hold a DuckDB file to one writer (langdock/writer: file).
        tags={"langdock/writer": "file" if settings.writer_lock else "server"},
    )
    dbt_assets, resources = dbt_definitions(settings, environ)
    return dg.Definitions(assets=[load, *dbt_assets], jobs=[job], resources=resources)
