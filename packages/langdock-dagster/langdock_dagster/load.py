"""The load assets: one per selected stream (``langdock/<stream>``), one partition per
workspace, all materialized together by one `meltano run` of that workspace."""

# No `from __future__ import annotations`: Dagster reads the context annotation at runtime.
import dataclasses
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from filelock import FileLock

from langdock_dagster.meltano_run import MissingKeyError, build_run, execute
from langdock_dagster.workspaces import WorkspaceEntry

# Text in the tap's output that no retry can fix: the key is wrong or lacks the scope.
_PERMANENT = ("Langdock rejected the API key", "Setting ")
_LEVELS = {"debug": "debug", "info": "info", "warning": "warning", "error": "error"}


@dataclasses.dataclass(frozen=True)
class LoadSettings:
    """Everything a partition's run needs besides its workspace; read once at load time."""

    project: Path
    meltano: str
    loader: str
    streams: tuple[str, ...]
    workspaces: tuple[WorkspaceEntry, ...]
    environment: str | None = None
    retry_delay_seconds: float = 60.0
    # A lock file when the loader writes one local file (DuckDB): one writer at a time,
    # even for runs Dagster's run queue does not see (dagster asset materialize, tests).
    writer_lock: Path | None = None

    @property
    def partition_keys(self) -> list[str]:
        return [entry.name for entry in self.workspaces]

    def entry(self, name: str) -> WorkspaceEntry:
        return next(entry for entry in self.workspaces if entry.name == name)


def load_assets(settings: LoadSettings, environ: Mapping[str, str]) -> dg.AssetsDefinition:
    partitions = dg.StaticPartitionsDefinition(settings.partition_keys)
    specs = [
        dg.AssetSpec(
            dg.AssetKey(["langdock", stream]),
            description=f"tap-langdock's {stream} stream, loaded by {settings.loader}.",
            group_name="langdock_raw",
            kinds={"meltano", settings.loader.removeprefix("target-")},
            partitions_def=partitions,
        )
        for stream in settings.streams
    ]

    @dg.multi_asset(
        name="langdock_meltano_run",
        specs=specs,
        partitions_def=partitions,
        retry_policy=dg.RetryPolicy(
            max_retries=2,
            delay=settings.retry_delay_seconds,
            backoff=dg.Backoff.EXPONENTIAL,
            jitter=dg.Jitter.PLUS_MINUS,
        ),
        # One writer for a local file; server warehouses take parallel runs (the pool is
        # unlimited unless dagster.yaml or `dagster instance concurrency set` limits it).
        pool=f"langdock_{settings.loader.replace('-', '_')}",
        op_tags={"langdock/loader": settings.loader},
    )
    def langdock_load(context: AssetExecutionContext) -> Iterator[dg.MaterializeResult[None]]:
        yield from _run_partition(context, settings, environ)

    return langdock_load


def _run_partition(
    context: AssetExecutionContext, settings: LoadSettings, environ: Mapping[str, str]
) -> Iterator[dg.MaterializeResult[None]]:
    entry = settings.entry(context.partition_key)
    try:
        run = build_run(
            meltano=settings.meltano,
            project=settings.project,
            entry=entry,
            every_key_env=[e.api_key_env for e in settings.workspaces],
            loader=settings.loader,
            run_id=context.run.run_id,
            environ=environ,
            environment=settings.environment,
        )
    except MissingKeyError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None

    def log(level: str, text: str) -> None:
        getattr(context.log, _LEVELS.get(level, "error"))(text)

    started = time.monotonic()
    lock = FileLock(str(settings.writer_lock)) if settings.writer_lock else None
    if lock is not None:
        lock.acquire()
    try:
        outcome = execute(run, settings.project, log)
    finally:
        if lock is not None:
            lock.release()
    seconds = round(time.monotonic() - started, 1)
    state_id = f"{settings.environment or 'dev'}:tap-langdock-to-{settings.loader}:{entry.name}"
    if outcome.returncode != 0:
        cause = outcome.tap_lines[-1] if outcome.tap_lines else "see the run's log"
        raise dg.Failure(
            description=f"workspace {entry.name}: meltano run exited {outcome.returncode}: {cause}",
            metadata={"state_id": state_id, "tap_output": "\n".join(outcome.tap_lines)},
            # A rejected key stays rejected: retrying only spends the key's budget.
            allow_retries=not any(mark in cause for mark in _PERMANENT),
        )
    for stream in settings.streams:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["langdock", stream]),
            metadata={
                "workspace": entry.name,
                "state_id": state_id,
                "records": outcome.records.get(stream, 0),
                "seconds": seconds,
            },
        )


def selected_streams(meltano_yml: Mapping[str, Any]) -> tuple[str, ...]:
    """The streams meltano.yml selects for tap-langdock (``<stream>.*`` patterns)."""
    for plugin in meltano_yml.get("plugins", {}).get("extractors", []):
        if plugin.get("name") == "tap-langdock":
            patterns = [str(p) for p in plugin.get("select") or []]
            names = [p.split(".", 1)[0] for p in patterns if not p.startswith("!")]
            return tuple(dict.fromkeys(names))
    return ()
