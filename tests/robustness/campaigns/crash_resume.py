"""Crash and resume: SIGKILL the tap at a random moment of a backfill, run again, compare.

Full size (the documented command; a few minutes on 2 cores):

    .venv/bin/python scripts/crash_resume.py
    .venv/bin/python -m tests.robustness.campaigns.crash_resume   # the same, from the root

20 trials through Meltano into DuckDB: each trial starts from an empty state and an empty
database, runs ``meltano run tap-langdock target-duckdb`` for a 30-day backfill of the five
default streams against the bundled emulator, SIGKILLs the tap process (not Meltano, not the
target) once the emulator has seen a random number of export requests, then runs the same
command again. Meltano keeps the last state the target confirmed, exactly as it would after a
crash in production. The final tables must equal those of an uninterrupted run key by key and
value by value (Meltano's ``_sdc_*`` columns aside), with no duplicate key.

``--via pipe`` does the same without Meltano: ``tap-langdock --config c --state s`` piped into
a small loader (`pipe_loader.PipeLoader`) that upserts on the key into DuckDB, commits at
every STATE message and then saves that state, which is what Meltano and target-duckdb do;
CI runs this mode (tests/robustness/test_crash_resume.py) because it needs no plugin install.

Meltano mode works in its own project directory (output/crash-resume/project, a copy of
meltano.yml whose tap installs from this repository) and installs tap-langdock and
target-duckdb there on first use (with uv, a few seconds when cached).
"""

# SQL here is built from quoted identifiers the tap's own schema names, never from input data.

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import random
import shutil
import sys
import time
import typing as t

import duckdb

from langdock_emulator import Emulator
from tests.robustness.campaigns.pipe_loader import SCHEMA
from tests.robustness.campaigns.pipelines import (
    MeltanoPipeline,
    Pipeline,
    PipePipeline,
    prepare_meltano_project,
)
from tests.support.contract import DEFAULT_STREAMS
from tests.support.duckdb_checks import column_types, duckdb_duplicate_keys, ident, rows_only_in
from tests.support.meltano_project import REPO
from tests.support.secrets import TEST_API_KEY, register_signatures, scan_for_secrets
from tests.support.tap_runner import days

START = "2026-06-01"


# Comparing ----------------------------------------------------------------------------------


def compare(clean: pathlib.Path, trial: pathlib.Path, streams: t.Sequence[str]) -> list[str]:
    """Differences between two warehouses (empty: equal key by key, value by value)."""
    problems = []
    with duckdb.connect(str(trial), read_only=True) as con:
        con.execute(f"ATTACH '{clean}' AS clean (READ_ONLY)")
        for stream in streams:
            table = f"{ident(SCHEMA)}.{ident(stream)}"
            columns = [c for c in column_types(con, SCHEMA, stream) if not c.startswith("_sdc_")]
            if not columns:
                problems.append(f"{stream}: no table")
                continue
            only_trial = rows_only_in(con, table, f"clean.{table}", columns)
            only_clean = rows_only_in(con, f"clean.{table}", table, columns)
            duplicates = duckdb_duplicate_keys(con, SCHEMA, stream)
            if only_trial or only_clean:
                problems.append(
                    f"{stream}: {only_clean} clean row(s) missing or different, "
                    f"{only_trial} row(s) not in the clean run"
                )
            if duplicates:
                problems.append(f"{stream}: {duplicates} duplicate key(s)")
    return problems


def table_rows(database: pathlib.Path, streams: t.Sequence[str]) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        total = 0
        for stream in streams:
            row = con.execute(f"SELECT count(*) FROM {SCHEMA}.{ident(stream)}").fetchone()
            total += int(row[0]) if row else 0
        return total


# Trials -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Trial:
    index: int
    kill_after: int
    killed: bool
    first_rc: int
    second_rc: int
    exports_before_kill: int
    exports_after: int
    repeated_windows: int
    problems: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return self.killed and self.second_rc == 0 and not self.problems


@dataclasses.dataclass
class Campaign:
    via: str
    trials: list[Trial]
    clean_rows: int
    clean_exports: int
    days: int
    seconds: float

    @property
    def kills(self) -> int:
        return sum(trial.killed for trial in self.trials)

    @property
    def ok(self) -> bool:
        return all(trial.ok for trial in self.trials)

    def report(self) -> str:
        lines = [
            f"crash and resume: {len(self.trials)} trial(s) via {self.via}",
            f"  backfill: {self.days} days x {len(DEFAULT_STREAMS)} streams, "
            f"{self.clean_exports} export requests and {self.clean_rows} rows when uninterrupted",
        ]
        for trial in self.trials:
            status = "equal" if trial.ok else "; ".join(trial.problems) or "NOT KILLED"
            lines.append(
                f"  trial {trial.index:>2}: SIGKILL after export request "
                f"{trial.exports_before_kill:>3}/{self.clean_exports} (exit {trial.first_rc}); "
                f"resume: {trial.exports_after:>3} exports (exit {trial.second_rc}), "
                f"{trial.repeated_windows} window(s) asked again; {trial.seconds:.1f} s: {status}"
            )
        lines.append(
            f"  {self.kills} kill(s); final table equal to the clean run's in "
            f"{sum(trial.ok for trial in self.trials)} of {len(self.trials)} trial(s); "
            f"{self.seconds:.0f} s"
        )
        lines.append(f"  result: {'PASS' if self.ok else 'FAIL'}")
        return "\n".join(lines)


def _windows(emu: Emulator, first: int, last: int | None = None) -> list[tuple[str, str]]:
    return [
        (r.export_type, (r.from_date or "")[:10])
        for r in emu.export_requests[first:last]
        if r.status in (200, 404)
    ]


def run_trials(
    *,
    via: str = "meltano",
    trials: int = 20,
    days_count: int = 30,
    seed: int = 11,
    workdir: pathlib.Path | None = None,
    progress: t.Callable[[str], None] | None = None,
    project: pathlib.Path | None = None,
) -> Campaign:
    """Run the clean reference and ``trials`` kill-and-resume trials; ``progress`` gets a line
    per finished trial. ``project``: a Meltano project with the plugins installed (the
    tests pass theirs); without it, the campaign's own one under output/ is used."""
    began = time.monotonic()
    rng = random.Random(seed)
    base = workdir or REPO / "output" / "crash-resume" / via
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    start, end = days(START, days_count)
    results: list[Trial] = []
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        pipeline: Pipeline
        if via == "meltano":
            pipeline = MeltanoPipeline(emu, start, end, project or prepare_meltano_project())
        else:
            pipeline = PipePipeline(emu, start, end)
        clean_dir = base / "clean"
        clean_dir.mkdir()
        clean = pipeline.run(clean_dir, None, 0.0)
        _check_secrets(emu, clean.output, "clean run")
        if clean.returncode != 0:
            msg = f"the clean run failed (exit {clean.returncode}):\n{clean.output[-3000:]}"
            raise RuntimeError(msg)
        clean_exports = len(emu.export_requests)
        clean_db = pipeline.database(clean_dir)
        clean_rows = table_rows(clean_db, DEFAULT_STREAMS)
        for index in range(1, trials + 1):
            trial_dir = base / f"trial-{index:02d}"
            trial_dir.mkdir()
            kill_after = rng.randint(1, clean_exports - 1)
            jitter = rng.uniform(0, 0.02)
            trial = _trial(
                emu, pipeline, clean_db, trial_dir, index=index, kill=(kill_after, jitter)
            )
            results.append(trial)
            if progress is not None:
                progress(
                    f"trial {index}/{trials}: killed after {trial.exports_before_kill} of "
                    f"{clean_exports} exports, resumed: "
                    f"{'equal' if trial.ok else '; '.join(trial.problems) or 'NOT KILLED'}"
                )
    return Campaign(
        via=pipeline.name,
        trials=results,
        clean_rows=clean_rows,
        clean_exports=clean_exports,
        days=days_count,
        seconds=time.monotonic() - began,
    )


def _trial(
    emu: Emulator,
    pipeline: Pipeline,
    clean_db: pathlib.Path,
    trial_dir: pathlib.Path,
    *,
    index: int,
    kill: tuple[int, float],
) -> Trial:
    """Kill a run after ``kill`` = (exports, jitter seconds), run again, compare with clean."""
    kill_after, jitter = kill
    began = time.monotonic()
    emu.export_requests.clear()
    first = pipeline.run(trial_dir, kill_after, jitter)
    before = len(emu.export_requests)
    done_first = set(_windows(emu, 0, before))
    second = pipeline.run(trial_dir, None, 0.0)
    again = _windows(emu, before)
    _check_secrets(emu, first.output + second.output, f"trial {index}")
    problems = []
    if second.returncode != 0:
        problems.append(f"the resumed run failed (exit {second.returncode})")
    problems += compare(clean_db, pipeline.database(trial_dir), DEFAULT_STREAMS)
    return Trial(
        index=index,
        kill_after=kill_after,
        killed=first.killed,
        first_rc=first.returncode,
        second_rc=second.returncode,
        exports_before_kill=before,
        exports_after=len(again),
        repeated_windows=sum(1 for w in again if w in done_first),
        problems=problems,
        seconds=time.monotonic() - began,
    )


def _check_secrets(emu: Emulator, text: str, where: str) -> None:
    register_signatures(emu)
    scan_for_secrets(text, f"crash/resume {where} (tap, loader and Meltano output)")


def main(argv: t.Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--via", choices=("meltano", "pipe"), default="meltano")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    campaign = run_trials(
        via=args.via,
        trials=args.trials,
        days_count=args.days,
        seed=args.seed,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(campaign.report())
    return 0 if campaign.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
