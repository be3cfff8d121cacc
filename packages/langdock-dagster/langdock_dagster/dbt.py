"""The dbt models (transform/) as assets downstream of the load assets, through dagster-dbt.

dbt runs from Meltano's dbt utility (``.meltano/utilities/dbt/venv/bin/dbt``, installed by
`make run`), so the code location needs no dbt of its own. Its sources are named
``langdock.<stream>``, so dagster-dbt keys them ``langdock/<stream>``: the load assets' keys.
Without an installed dbt (or a manifest) the location loads without the dbt assets.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation at runtime.
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from langdock_dagster.load import LoadSettings

# The dbt target per loader (transform/profiles.yml).
DBT_TARGETS = {"target-duckdb": "duckdb", "target-postgres": "postgres"}


def dbt_executable(project: Path, environ: Mapping[str, str]) -> Path | None:
    configured = environ.get("LANGDOCK_DAGSTER_DBT")
    path = Path(configured) if configured else project / ".meltano/utilities/dbt/venv/bin/dbt"
    return path if path.exists() else None


def dbt_definitions(
    settings: LoadSettings, environ: Mapping[str, str]
) -> tuple[Sequence[dg.AssetsDefinition], dict[str, Any]]:
    target = DBT_TARGETS.get(settings.loader)
    executable = dbt_executable(settings.project, environ)
    transform = settings.project / "transform"
    if target is None or executable is None or not transform.is_dir():
        return [], {}
    target_path = Path(environ.get("DBT_TARGET_PATH") or transform / "target")
    manifest = target_path / "manifest.json"
    if not manifest.exists():
        _parse(executable, transform, target_path, target, environ)
    project = DbtProject(project_dir=transform, profiles_dir=transform, target=target)

    @dbt_assets(manifest=manifest, project=project, name="langdock_dbt")
    def langdock_dbt(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        yield from dbt.cli(["build"], context=context).stream()

    resource = DbtCliResource(
        project_dir=project,
        profiles_dir=str(transform),
        target=target,
        dbt_executable=str(executable),
    )
    return [langdock_dbt], {"dbt": resource}


def _parse(
    executable: Path, transform: Path, target_path: Path, target: str, environ: Mapping[str, str]
) -> None:
    """``dbt parse`` writes the manifest dagster-dbt reads (no warehouse connection)."""
    command = [str(executable), "parse", "--project-dir", str(transform)]
    command += ["--profiles-dir", str(transform), "--target", target]
    command += ["--target-path", str(target_path)]
    env = {k: v for k, v in environ.items() if not k.startswith("TAP_LANGDOCK_")}
    result = subprocess.run(  # noqa: S603 - our own command list
        command, capture_output=True, text=True, env=env, timeout=300, check=False
    )
    if result.returncode != 0:
        tail = (result.stdout + result.stderr).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"dbt parse in {transform} failed: {tail[0]}")
