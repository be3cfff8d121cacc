"""A throwaway Meltano project for the warehouse tests and the crash campaign: runs, reference.

Everything here is real: Meltano installs the plugins of the repository's meltano.yml into a
temporary copy of the project, the tap talks to the emulator over loopback, the loaders write a
real DuckDB file or a real PostgreSQL server.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import typing as t
from pathlib import Path

import pytest

from langdock_emulator import Emulator
from tests.support.contract import DEFAULT_STREAMS as DEFAULT_STREAM_NAMES
from tests.support.contract import KEYS, STREAMS_BY_NAME
from tests.support.secrets import scan_for_secrets

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MELTANO = BIN / "meltano"

# Fixed dates in the past: every run exports exactly these windows, whatever day it is.
START_DATE = "2025-03-01"
END_DATE = "2025-03-07"
# The second run moves end_date on by one day: it exports that day plus one lookback window.
SECOND_END_DATE = "2025-03-08"
# Same shape as the suite's made-up keys, so the secret scan recognises it in any output.
API_KEY = "ld-warehouse-SECRET-5e1a7c"

# The streams a Meltano run without a catalog selects, and their primary keys.
DEFAULT_STREAMS: dict[str, tuple[str, ...]] = {name: KEYS[name] for name in DEFAULT_STREAM_NAMES}
EMAIL_COLUMNS: dict[str, tuple[str, ...]] = {
    "projects_usage": ("project_owner_email",),
    "users_usage": ("email",),
    "agents_usage": ("assistant_owner_email",),
}
MARTS = (
    "project_usage_daily",
    "user_usage_daily",
    "agent_usage_daily",
    "model_usage_daily",
    "workspace_usage_daily",
)

# Variables of the caller's shell that would change what the runs do.
_FOREIGN_PREFIXES = ("TAP_LANGDOCK_", "TARGET_", "MELTANO_", "DBT_", "LANGDOCK_")


def clean_env(**extra: str) -> dict[str, str]:
    """os.environ without settings of the caller's own pipelines, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN_PREFIXES)}
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env.update(extra)
    return env


def write_meltano_yml(directory: Path, *, link_packages: bool = False) -> Path:
    """The repository's meltano.yml in ``directory``, its tap installing from the repository.

    ``link_packages``: for a project that links the repository's installed plugins, keep their
    ``pip_url`` as written and link ``packages/`` instead. Meltano reinstalls a plugin whose
    ``pip_url`` changed, and would rebuild the repository's shared venv through the link.
    """
    directory.mkdir(parents=True, exist_ok=True)
    text = (REPO / "meltano.yml").read_text(encoding="utf-8")
    marker = "pip_url: -e .\n"
    if text.count(marker) != 1:
        msg = "meltano.yml: expected the tap's `pip_url: -e .`"
        raise RuntimeError(msg)
    text = text.replace(marker, f"pip_url: -e {REPO}\n")
    if link_packages:
        (directory / "packages").symlink_to(REPO / "packages", target_is_directory=True)
    else:
        # Plugins of our own under packages/ install from the repository too.
        text = text.replace("-e ./packages/", f"-e {REPO}/packages/")
    path = directory / "meltano.yml"
    path.write_text(text, encoding="utf-8")
    return path


def make_project(directory: Path, *, link_packages: bool = False) -> Path:
    """A copy of the repository's Meltano project (meltano.yml and transform/)."""
    write_meltano_yml(directory, link_packages=link_packages)
    shutil.copytree(
        REPO / "transform",
        directory / "transform",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"),
    )
    return directory


@dataclasses.dataclass
class Run:
    """One finished Meltano command."""

    args: list[str]
    returncode: int
    output: str

    def check(self) -> Run:
        assert self.returncode == 0, (
            f"meltano {' '.join(self.args)} exited {self.returncode}:\n{self.output[-6000:]}"
        )
        return self


def meltano(project: Path, args: list[str], env: dict[str, str], timeout: int = 600) -> Run:
    """Run Meltano in ``project``; its whole output is scanned for secrets."""
    result = subprocess.run(
        [str(MELTANO), *args],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    scan_for_secrets(result.stdout, f"meltano {' '.join(args)}")
    return Run(args, result.returncode, result.stdout)


def tap_env(url: str, *, end_date: str = END_DATE, **extra: str) -> dict[str, str]:
    """Settings of the tap for a run against the emulator at ``url``."""
    return {
        "TAP_LANGDOCK_API_URL": url,
        "TAP_LANGDOCK_API_KEY": API_KEY,
        "TAP_LANGDOCK_START_DATE": START_DATE,
        "TAP_LANGDOCK_END_DATE": end_date,
        **extra,
    }


@dataclasses.dataclass
class Reference:
    """What the tap itself emits for the same range: the loaders must keep exactly this."""

    schemas: dict[str, dict[str, t.Any]]
    records: dict[str, dict[tuple[t.Any, ...], dict[str, t.Any]]]

    def property_type(self, stream: str, column: str) -> tuple[str, str | None]:
        """(JSON type without null, format) of a column."""
        prop = self.schemas[stream]["properties"][column]
        types = prop.get("type", [])
        types = [types] if isinstance(types, str) else types
        non_null = [x for x in types if x != "null"]
        return (non_null[0] if non_null else "string"), prop.get("format")


def reference_records(workdir: Path, url: str, end_date: str) -> Reference:
    """Run the tap directly (no Meltano, no loader) and keep its SCHEMA and RECORD messages."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.json"
    config.write_text(
        json.dumps(
            {"api_url": url, "api_key": API_KEY, "start_date": START_DATE, "end_date": end_date}
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [str(BIN / "tap-langdock"), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_env(),
        check=False,
    )
    scan_for_secrets(result.stdout + result.stderr, "tap-langdock (reference run)")
    assert result.returncode == 0, result.stderr[-4000:]
    schemas: dict[str, dict[str, t.Any]] = {}
    records: dict[str, dict[tuple[t.Any, ...], dict[str, t.Any]]] = {}
    for line in result.stdout.splitlines():
        message = json.loads(line)
        stream = message.get("stream")
        if message["type"] == "SCHEMA":
            schemas[stream] = message["schema"]
        elif message["type"] == "RECORD" and stream in DEFAULT_STREAMS:
            record = message["record"]
            key = tuple(record[k] for k in DEFAULT_STREAMS[stream])
            records.setdefault(stream, {})[key] = record
    assert set(records) == set(DEFAULT_STREAMS), f"reference run streams: {sorted(records)}"
    return Reference(schemas, records)


def dbt_env(work: Path, schema: str, **extra: str) -> dict[str, str]:
    """dbt settings that keep each test's build files and schemas apart."""
    return {
        "DBT_SCHEMA": schema,
        "DBT_TARGET_PATH": str(work / "dbt-target"),
        "DBT_LOG_PATH": str(work / "dbt-logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **extra,
    }


@dataclasses.dataclass
class Loads:
    """Two runs with lookback into one destination, and one privacy-mode run into another."""

    reference: Reference
    # (export type, first local day) of every export the second run asked for.
    second_run_exports: list[tuple[str, str]]
    runs: list[Run]


def load_scenario(
    project: Path,
    loader: str,
    work: Path,
    destination_env: dict[str, str],
    private_destination_env: dict[str, str],
) -> Loads:
    """Run the scenario every loader must pass, against the emulator over loopback.

    1. ``meltano run tap-langdock <loader>`` for START_DATE..END_DATE;
    2. again with end_date one day later: that day plus one lookback window (END_DATE) are
       exported, so END_DATE's rows arrive a second time and must be upserted;
    3. a run against an emulator in privacy mode ("user-level data disabled": no e-mail
       columns in the CSVs) into a separate destination.
    """
    work.mkdir(parents=True, exist_ok=True)
    command = ["--environment=emulator", "run", "tap-langdock", loader]
    with Emulator(api_key=API_KEY, seed=7) as emulator:
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{work / 'state.db'}",
            **tap_env(emulator.url),
            **destination_env,
        )
        first = meltano(project, command, env).check()
        already = len(emulator.export_requests)
        second = meltano(
            project, command, {**env, "TAP_LANGDOCK_END_DATE": SECOND_END_DATE}
        ).check()
        second_exports = [
            (request.export_type, (request.from_date or "")[:10])
            for request in emulator.export_requests[already:]
        ]
        reference = reference_records(work / "reference", emulator.url, SECOND_END_DATE)
    with Emulator(api_key=API_KEY, seed=7) as private:
        private.settings.privacy = True
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{work / 'private-state.db'}",
            **tap_env(private.url, end_date="2025-03-02"),
            **private_destination_env,
        )
        third = meltano(project, command, env).check()
    return Loads(reference, second_exports, [first, second, third])


def check_second_run_exports(loads: Loads) -> None:
    """The second run asked for the lookback window and the new day, nothing else."""
    by_type: dict[str, list[str]] = {}
    for export_type, day in loads.second_run_exports:
        by_type.setdefault(export_type, []).append(day)
    assert by_type == {
        STREAMS_BY_NAME[name].export_type: [END_DATE, SECOND_END_DATE] for name in DEFAULT_STREAMS
    }


# Plugins the tests run; installing the Snowflake and BigQuery loaders would only cost time.
TEST_PLUGINS = ("tap-langdock", "target-duckdb", "target-postgres", "dbt")


def missing(reason: str, *, required: bool) -> t.NoReturn:
    """Skip for what this machine lacks, or fail where it is required (CI)."""
    if required:
        pytest.fail(reason)
    pytest.skip(reason)


def postgres_required() -> bool:
    return os.environ.get("REQUIRE_POSTGRES") == "1"


def installed_project(directory: Path) -> Path:
    """A Meltano project in ``directory`` with the plugins the tests run installed."""
    if not MELTANO.exists():
        missing(
            f"Meltano is not installed next to {MELTANO.parent}: pip install -e '.[warehouse]'",
            required=bool(os.environ.get("CI")) or postgres_required(),
        )
    project = make_project(directory)
    run = meltano(
        project,
        ["install", *TEST_PLUGINS],
        clean_env(MELTANO_DATABASE_URI=f"sqlite:///{project / 'install.db'}"),
        timeout=900,
    )
    run.check()
    return project
