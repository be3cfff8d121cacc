"""One workspace's `meltano run tap-langdock <loader>`: its command, its environment, its logs.

The child sees only what it needs: the system's basics, the loader's and Meltano's own
settings, and this one workspace's key and URL. The keys of the other workspaces (their
variables are named in the workspaces file) never reach it, whatever the worker holds.

Each run gets its own Meltano system directory (``MELTANO_SYS_DIR_ROOT``) whose plugin
folders are links to the project's installed ones: Meltano writes a plugin's catalog and
config into ``.meltano/run/<plugin>/``, so two runs sharing it delete each other's files.
The system database (and so the state) stays the project's, or ``MELTANO_DATABASE_URI``.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from langdock_dagster.workspaces import WorkspaceEntry

# Variables passed through to Meltano unchanged (besides the prefixes below).
_BASICS = frozenset(
    {"PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT"}
    | {"SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "PGPASSFILE"}
)
_PREFIXES = ("MELTANO_", "TARGET_", "DBT_", "TAP_LANGDOCK_")
# The tap's per-workspace settings: set from the entry only, never inherited (an inherited
# TAP_LANGDOCK_API_URL is only the default for entries without api_url).
_PER_WORKSPACE = frozenset(
    {
        "TAP_LANGDOCK_API_KEY",
        "TAP_LANGDOCK_WORKSPACE_ID",
        "TAP_LANGDOCK_AUDIT_LOG_API_KEY",
        "MELTANO_SYS_DIR_ROOT",
        "MELTANO_PROJECT_ROOT",
        "MELTANO_RUN_STATE_ID_SUFFIX",
        "MELTANO_RUN_ID",
    }
)
# Parts of the project's .meltano/ each run keeps for itself.
_OWN_PER_RUN = frozenset({"run", "logs", "meltano.db", "meltano.db-journal", "dagster-runs"})
_SECRET_HINTS = ("PASSWORD", "SECRET", "TOKEN", "API_KEY", "SQLALCHEMY_URL", "DATABASE_URI")


class MissingKeyError(RuntimeError):
    """The workspace's key variable is not set where the run starts."""


@dataclasses.dataclass(frozen=True)
class MeltanoRun:
    """What one partition runs: pure data, so it can be checked without running it."""

    command: list[str]
    env: dict[str, str]
    secrets: tuple[str, ...]
    sys_dir: Path


def build_run(
    *,
    meltano: str,
    project: Path,
    entry: WorkspaceEntry,
    every_key_env: Iterable[str],
    loader: str,
    run_id: str,
    environ: Mapping[str, str],
    environment: str | None = None,
) -> MeltanoRun:
    """The command and environment for ``entry``; raises MissingKeyError without its key."""
    key = environ.get(entry.api_key_env)
    if not key:
        raise MissingKeyError(
            f"workspace {entry.name}: {entry.api_key_env} is not set: export that workspace's "
            "Langdock API key in it where Dagster runs (the run worker's environment)"
        )
    foreign = set(every_key_env)
    env = {
        name: value
        for name, value in environ.items()
        if (name in _BASICS or name.startswith(_PREFIXES))
        and name not in _PER_WORKSPACE
        and name not in foreign
    }
    sys_dir = project / ".meltano" / "dagster-runs" / run_id
    env.setdefault("MELTANO_DATABASE_URI", f"sqlite:///{project / '.meltano' / 'meltano.db'}")
    env.update(
        MELTANO_SYS_DIR_ROOT=str(sys_dir),
        MELTANO_PROJECT_ROOT=str(project),
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        TAP_LANGDOCK_API_KEY=key,
    )
    if entry.api_url is not None:
        env["TAP_LANGDOCK_API_URL"] = entry.api_url
    if entry.workspace_id is not None:
        env["TAP_LANGDOCK_WORKSPACE_ID"] = entry.workspace_id
    command = [meltano, "--log-format=json"]
    if environment:
        command.append(f"--environment={environment}")
    # Never --force: Meltano's guard against two runs of one state id stays on.
    command += ["run", "--no-install", f"--run-id={run_id}", f"--state-id-suffix={entry.name}"]
    command += ["tap-langdock", loader]
    secrets = [key] + [v for n, v in env.items() if any(h in n for h in _SECRET_HINTS) and v]
    return MeltanoRun(command, env, tuple(sorted(set(secrets), key=len, reverse=True)), sys_dir)


def prepare_sys_dir(project: Path, sys_dir: Path) -> None:
    """A fresh system directory linking the project's installed plugins."""
    shared = project / ".meltano"
    sys_dir.mkdir(parents=True, exist_ok=True)
    for item in shared.iterdir() if shared.is_dir() else ():
        link = sys_dir / item.name
        if item.name not in _OWN_PER_RUN and not link.exists():
            link.symlink_to(item, target_is_directory=item.is_dir())


def mask(line: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if len(secret) >= 4:
            line = line.replace(secret, "***")
    return line


@dataclasses.dataclass
class Outcome:
    returncode: int
    # The last lines of the tap's own output (its one-line errors end up here).
    tap_lines: list[str] = dataclasses.field(default_factory=list)
    # Records the tap emitted per stream (its record_count metrics).
    records: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Line:
    level: str
    text: str
    plugin: str | None = None
    metric: dict[str, Any] | None = None


def execute(
    run: MeltanoRun, cwd: Path, log: Callable[[str, str], None], *, keep_sys_dir: bool = False
) -> Outcome:
    """Run Meltano; every output line goes to ``log(level, masked text)``."""
    prepare_sys_dir(cwd, run.sys_dir)
    outcome = Outcome(-1)
    tail: collections.deque[str] = collections.deque(maxlen=20)
    try:
        process = subprocess.Popen(  # noqa: S603 - our own command list, no shell
            run.command,
            cwd=cwd,
            env=run.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        assert process.stdout is not None
        with process:
            for raw in process.stdout:
                line = parse_line(mask(raw.rstrip("\n"), run.secrets))
                _count(outcome.records, line.metric)
                if line.plugin == "tap-langdock" and line.metric is None:
                    tail.append(line.text)
                log(line.level, f"[{line.plugin}] {line.text}" if line.plugin else line.text)
        outcome.returncode = process.returncode
        outcome.tap_lines = list(tail)
        return outcome
    finally:
        if not keep_sys_dir:
            shutil.rmtree(run.sys_dir, ignore_errors=True)


def _count(records: dict[str, int], metric: dict[str, Any] | None) -> None:
    if metric is not None and metric.get("metric") == "record_count":
        stream = str(metric.get("tags", {}).get("stream"))
        records[stream] = records.get(stream, 0) + int(metric.get("value") or 0)


# Meltano's own fields worth keeping in a log line.
_MELTANO_FIELDS = ("err", "exit_codes", "status", "success", "duration_seconds", "state_id")


def parse_line(raw: str) -> Line:
    """One line of ``meltano --log-format=json``: a plugin's output line or Meltano's own."""
    try:
        event = json.loads(raw)
    except ValueError:
        return Line("info", raw)
    if not isinstance(event, dict) or "event" not in event:
        return Line("info", raw)
    text = str(event["event"])
    level = str(event.get("level", "info")).lower()
    plugin = event.get("string_id") if "cmd_type" in event else None
    if plugin is None:
        extra = {k: event[k] for k in _MELTANO_FIELDS if k in event}
        if extra:
            text += " " + json.dumps(extra, default=str, sort_keys=True)
        return Line(level, text)
    metric = None
    if text.startswith("METRIC: "):
        try:
            metric = json.loads(text.removeprefix("METRIC: "))
        except ValueError:
            metric = None
        level = "debug"
    return Line(level, text, str(plugin), metric if isinstance(metric, dict) else None)


def meltano_executable(environ: Mapping[str, str]) -> str:
    """``$LANGDOCK_DAGSTER_MELTANO``, else the meltano next to this Python, else on PATH."""
    if environ.get("LANGDOCK_DAGSTER_MELTANO"):
        return environ["LANGDOCK_DAGSTER_MELTANO"]
    beside = Path(sys.executable).parent / "meltano"
    return str(beside) if beside.exists() else (shutil.which("meltano") or "meltano")
