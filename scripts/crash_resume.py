"""Crash and resume: SIGKILL the tap at a random moment of a backfill, run again, compare.

Full size (the documented command; a few minutes on 2 cores):

    .venv/bin/python scripts/crash_resume.py

20 trials through Meltano into DuckDB: each trial starts from an empty state and an empty
database, runs ``meltano run tap-langdock target-duckdb`` for a 30-day backfill of the five
default streams against the bundled emulator, SIGKILLs the tap process (not Meltano, not the
target) once the emulator has seen a random number of export requests, then runs the same
command again. Meltano keeps the last state the target confirmed, exactly as it would after a
crash in production. The final tables must equal those of an uninterrupted run key by key and
value by value (Meltano's ``_sdc_*`` columns aside), with no duplicate key.

``--via pipe`` does the same without Meltano: ``tap-langdock --config c --state s`` piped into
a small loader in this script that upserts on the key into DuckDB, commits at every STATE
message and then saves that state, which is what Meltano and target-duckdb do; CI runs this
mode (tests/robustness/test_crash_resume.py) because it needs no plugin install.

Meltano mode works in its own project directory (output/crash-resume/project, a copy of
meltano.yml whose tap installs from this repository) and installs tap-langdock and
target-duckdb there on first use (with uv, a few seconds when cached).
"""

# SQL here is built from quoted identifiers the tap's own schema names, never from input data.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import typing as t

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "robustness"))

import duckdb  # noqa: E402
from robust_support import (  # noqa: E402
    DEFAULT_STREAMS,
    KEYS,
    TAP_CLI,
    TEST_API_KEY,
    Emulator,
    days,
    register_signatures,
    scan_for_secrets,
)

MELTANO = pathlib.Path(sys.executable).parent / "meltano"
SCHEMA = "langdock_raw"
START = "2026-06-01"
PROJECT = ROOT / "output" / "crash-resume" / "project"
_FOREIGN = ("TAP_LANGDOCK_", "TARGET_", "MELTANO_", "DBT_", "LANGDOCK_")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the caller's own pipeline settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_FOREIGN)}
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env.update(extra)
    return env


# Loading ------------------------------------------------------------------------------------


class PipeLoader:
    """A minimal Singer target: upsert on the key into DuckDB, commit at every STATE.

    Like target-duckdb under Meltano, records that arrive after the last STATE are still loaded
    when the input ends (the tap died), but the saved state stays the last committed one; the
    next run emits those rows again and the upsert replaces them.
    """

    def __init__(self, database: pathlib.Path, state_file: pathlib.Path) -> None:
        self.con = duckdb.connect(str(database))
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        self.state_file = state_file
        self.columns: dict[str, list[str]] = {}
        self.objects: dict[str, set[str]] = {}
        self.pending: dict[str, list[tuple[t.Any, ...]]] = {}
        self.states = 0
        self.partial_lines = 0

    def _schema(self, message: dict[str, t.Any]) -> None:
        stream = message["stream"]
        properties = message["schema"]["properties"]
        names = list(properties)
        types = []
        for name in names:
            kinds = properties[name].get("type", "string")
            kinds = [kinds] if isinstance(kinds, str) else [k for k in kinds if k != "null"]
            kind = kinds[0] if kinds else "string"
            fmt = properties[name].get("format")
            types.append(
                "DATE"
                if fmt == "date"
                else {
                    "integer": "BIGINT",
                    "number": "DOUBLE",
                    "boolean": "BOOLEAN",
                    "object": "JSON",
                }.get(kind, "VARCHAR")
            )
        key = ", ".join(_ident(k) for k in message["key_properties"])
        columns = ", ".join(f"{_ident(n)} {kind}" for n, kind in zip(names, types, strict=True))
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{_ident(stream)} ({columns}, PRIMARY KEY ({key}))"
        )
        self.columns[stream] = names
        self.objects[stream] = {n for n, k in zip(names, types, strict=True) if k == "JSON"}

    def _flush(self) -> None:
        for stream, rows in self.pending.items():
            if not rows:
                continue
            names = self.columns[stream]
            row_marks = "(" + ", ".join("?" for _ in names) + ")"
            # Deduplicate within the batch (a lookback window can repeat a key), last wins.
            latest = list(
                {tuple(row[names.index(k)] for k in KEYS[stream]): row for row in rows}.values()
            )
            # One multi-row statement per batch: DuckDB's executemany costs ~1 ms per row.
            for begin in range(0, len(latest), 500):
                chunk = latest[begin : begin + 500]
                self.con.execute(
                    f"INSERT OR REPLACE INTO {SCHEMA}.{_ident(stream)} VALUES "
                    + ", ".join(row_marks for _ in chunk),
                    [value for row in chunk for value in row],
                )
        self.pending = {}

    def _commit_state(self, value: dict[str, t.Any]) -> None:
        self._flush()
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(value))
        temporary.replace(self.state_file)
        self.states += 1

    def consume(self, lines: t.Iterable[str]) -> None:
        for line in lines:
            if not line.endswith("\n"):
                self.partial_lines += 1  # cut by the kill: never a whole message
                continue
            message = json.loads(line)
            kind = message["type"]
            if kind == "SCHEMA":
                self._schema(message)
            elif kind == "RECORD":
                stream = message["stream"]
                record = message["record"]
                self.pending.setdefault(stream, []).append(
                    tuple(
                        json.dumps(record.get(n))
                        if n in self.objects[stream] and record.get(n) is not None
                        else record.get(n)
                        for n in self.columns[stream]
                    )
                )
            elif kind == "STATE":
                self._commit_state(message["value"])
        self._flush()

    def close(self) -> None:
        self.con.close()


# Running the pipeline -----------------------------------------------------------------------


@dataclasses.dataclass
class RunResult:
    returncode: int
    output: str
    killed: bool
    seconds: float


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def _cmdline(pid: int) -> list[str]:
    try:
        raw = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _syncing_tap(root: int) -> int | None:
    """The pid of the tap process that is syncing (not discovering) under ``root``."""
    for pid in [root, *_children(root)]:
        args = _cmdline(pid)
        text = " ".join(args)
        is_tap = "tap_langdock" in text or "tap-langdock" in text
        if is_tap and "--discover" not in args and "--config" in args:
            return pid
    return None


class KillSwitch(threading.Thread):
    """SIGKILLs the syncing tap under ``root`` once the emulator saw ``after`` export requests."""

    def __init__(self, emu: Emulator, root: int, after: int | None, jitter: float) -> None:
        super().__init__(daemon=True)
        self.emu, self.root, self.after, self.jitter = emu, root, after, jitter
        self.done = threading.Event()
        self.killed_pid: int | None = None
        self.at_requests = 0

    def run(self) -> None:
        if self.after is None:
            return
        while not self.done.is_set():
            if len(self.emu.export_requests) >= self.after:
                time.sleep(self.jitter)
                pid = _syncing_tap(self.root)
                if pid is not None:
                    self.at_requests = len(self.emu.export_requests)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                        self.killed_pid = pid
                return
            time.sleep(0.002)


class Pipeline:
    """One way of running tap -> loader: Meltano + target-duckdb, or tap | PipeLoader."""

    name = "?"

    def __init__(self, emu: Emulator, start: str, end: str) -> None:
        self.emu, self.start, self.end = emu, start, end

    def run(self, workdir: pathlib.Path, kill_after: int | None, jitter: float) -> RunResult:
        raise NotImplementedError

    def database(self, workdir: pathlib.Path) -> pathlib.Path:
        return workdir / "warehouse.duckdb"


class PipePipeline(Pipeline):
    name = "tap-langdock | own DuckDB loader (upsert on key, state saved at each STATE)"

    def run(self, workdir: pathlib.Path, kill_after: int | None, jitter: float) -> RunResult:
        config = {
            "api_key": TEST_API_KEY,
            "api_url": self.emu.url,
            "start_date": self.start,
            "end_date": self.end,
            "request_timeout": 10,
        }
        (workdir / "config.json").write_text(json.dumps(config))
        state_file = workdir / "state.json"
        command = [*TAP_CLI, "--config", str(workdir / "config.json")]
        if state_file.exists():
            command += ["--state", str(state_file)]
        began = time.monotonic()
        with (workdir / "tap.log").open("w") as log:
            process = subprocess.Popen(  # noqa: S603
                command, stdout=subprocess.PIPE, stderr=log, text=True, cwd=workdir
            )
            switch = KillSwitch(self.emu, process.pid, kill_after, jitter)
            switch.start()
            loader = PipeLoader(self.database(workdir), state_file)
            try:
                assert process.stdout is not None
                loader.consume(process.stdout)
            finally:
                loader.close()
                returncode = process.wait(timeout=120)
                if process.stdout is not None:
                    process.stdout.close()
                switch.done.set()
                switch.join()
        output = (workdir / "tap.log").read_text()
        return RunResult(
            returncode, output, switch.killed_pid is not None, time.monotonic() - began
        )


class MeltanoPipeline(Pipeline):
    name = "meltano run tap-langdock target-duckdb (Meltano 4, target-duckdb upserts on key)"

    def __init__(self, emu: Emulator, start: str, end: str, project: pathlib.Path) -> None:
        super().__init__(emu, start, end)
        self.project = project

    def env(self, workdir: pathlib.Path) -> dict[str, str]:
        return clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{workdir / 'meltano.db'}",
            MELTANO_VENV_BACKEND="uv",
            TAP_LANGDOCK_API_URL=self.emu.url,
            TAP_LANGDOCK_API_KEY=TEST_API_KEY,
            TAP_LANGDOCK_START_DATE=self.start,
            TAP_LANGDOCK_END_DATE=self.end,
            TAP_LANGDOCK_REQUEST_TIMEOUT="10",
            TARGET_DUCKDB_FILEPATH=str(self.database(workdir)),
        )

    def run(self, workdir: pathlib.Path, kill_after: int | None, jitter: float) -> RunResult:
        began = time.monotonic()
        with (workdir / "meltano.log").open("a") as log:
            process = subprocess.Popen(  # noqa: S603
                [str(MELTANO), "--environment=emulator", "run", "tap-langdock", "target-duckdb"],
                cwd=self.project,
                env=self.env(workdir),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            switch = KillSwitch(self.emu, process.pid, kill_after, jitter)
            switch.start()
            try:
                returncode = process.wait(timeout=600)
            finally:
                switch.done.set()
                switch.join()
        output = (workdir / "meltano.log").read_text()
        return RunResult(
            returncode, output, switch.killed_pid is not None, time.monotonic() - began
        )


def prepare_meltano_project(project: pathlib.Path = PROJECT) -> pathlib.Path:
    """A Meltano project of its own whose tap-langdock and target-duckdb are installed."""
    project.mkdir(parents=True, exist_ok=True)
    text = (ROOT / "meltano.yml").read_text(encoding="utf-8")
    marker = "pip_url: -e .\n"
    if text.count(marker) != 1:
        msg = "meltano.yml: expected the tap's `pip_url: -e .`"
        raise RuntimeError(msg)
    wanted = text.replace(marker, f"pip_url: -e {ROOT}\n")
    # Plugins are installed once and kept: the tap is an editable install of this repository,
    # so code changes need no reinstall (delete the project directory after dependency changes).
    (project / "meltano.yml").write_text(wanted, encoding="utf-8")
    tap_python = project / ".meltano" / "extractors" / "tap-langdock" / "venv" / "bin" / "python"
    target_bin = project / ".meltano" / "loaders" / "target-duckdb" / "venv" / "bin"
    env = clean_env(
        MELTANO_DATABASE_URI=f"sqlite:///{project / 'install.db'}", MELTANO_VENV_BACKEND="uv"
    )

    def tap_imports() -> bool:
        if not tap_python.exists():
            return False
        check = subprocess.run(  # noqa: S603
            [str(tap_python), "-c", "import tap_langdock.tap"],
            capture_output=True,
            check=False,
            timeout=60,
        )
        return check.returncode == 0

    for kind, name, ready in (
        ("extractor", "tap-langdock", tap_imports()),
        ("loader", "target-duckdb", (target_bin / "target-duckdb").exists()),
    ):
        if ready:
            continue
        print(f"installing {name} into {project} ...", flush=True)
        subprocess.run(  # noqa: S603
            [str(MELTANO), "install", kind, name, "--clean"],
            cwd=project,
            env=env,
            check=True,
            capture_output=True,
            timeout=900,
        )
    if not tap_imports():
        check = subprocess.run(  # noqa: S603
            [str(tap_python), "-c", "import tap_langdock.tap"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        msg = f"tap-langdock does not import in Meltano's venv:\n{check.stderr[-1500:]}"
        raise RuntimeError(msg)
    return project


# Comparing ----------------------------------------------------------------------------------


def compare(clean: pathlib.Path, trial: pathlib.Path, streams: t.Sequence[str]) -> list[str]:
    """Differences between two warehouses (empty: equal key by key, value by value)."""
    problems = []
    with duckdb.connect(str(trial), read_only=True) as con:
        con.execute(f"ATTACH '{clean}' AS clean (READ_ONLY)")
        for stream in streams:
            table = f"{SCHEMA}.{_ident(stream)}"
            rows = con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog = "
                "current_database() AND table_schema = ? AND table_name = ? ORDER BY "
                "ordinal_position",
                [SCHEMA, stream],
            ).fetchall()
            columns = [r[0] for r in rows if not r[0].startswith("_sdc_")]
            if not columns:
                problems.append(f"{stream}: no table")
                continue
            cols = ", ".join(_ident(c) for c in columns)
            key = ", ".join(_ident(k) for k in KEYS[stream])
            only_trial = con.execute(
                f"SELECT count(*) FROM (SELECT {cols} FROM {table} EXCEPT ALL "
                f"SELECT {cols} FROM clean.{table})"
            ).fetchone()
            only_clean = con.execute(
                f"SELECT count(*) FROM (SELECT {cols} FROM clean.{table} EXCEPT ALL "
                f"SELECT {cols} FROM {table})"
            ).fetchone()
            duplicates = con.execute(
                f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY {key} "
                "HAVING count(*) > 1)"
            ).fetchone()
            assert only_trial is not None
            assert only_clean is not None
            assert duplicates is not None
            if only_trial[0] or only_clean[0]:
                problems.append(
                    f"{stream}: {only_clean[0]} clean row(s) missing or different, "
                    f"{only_trial[0]} row(s) not in the clean run"
                )
            if duplicates[0]:
                problems.append(f"{stream}: {duplicates[0]} duplicate key(s)")
    return problems


def table_rows(database: pathlib.Path, streams: t.Sequence[str]) -> int:
    with duckdb.connect(str(database), read_only=True) as con:
        total = 0
        for stream in streams:
            row = con.execute(f"SELECT count(*) FROM {SCHEMA}.{_ident(stream)}").fetchone()
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
) -> Campaign:
    """Run the clean reference and ``trials`` kill-and-resume trials; ``progress`` gets a line
    per finished trial."""
    began = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - reproducible trial plan, not security
    base = workdir or ROOT / "output" / "crash-resume" / via
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    start, end = days(START, days_count)
    results: list[Trial] = []
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        pipeline: Pipeline
        if via == "meltano":
            pipeline = MeltanoPipeline(emu, start, end, prepare_meltano_project())
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
            trial_began = time.monotonic()
            trial_dir = base / f"trial-{index:02d}"
            trial_dir.mkdir()
            emu.export_requests.clear()
            kill_after = rng.randint(1, clean_exports - 1)
            first = pipeline.run(trial_dir, kill_after, rng.uniform(0, 0.02))
            before = len(emu.export_requests)
            done_first = set(_windows(emu, 0, before))
            second = pipeline.run(trial_dir, None, 0.0)
            again = _windows(emu, before)
            _check_secrets(emu, first.output + second.output, f"trial {index}")
            problems = []
            if second.returncode != 0:
                problems.append(f"the resumed run failed (exit {second.returncode})")
            problems += compare(clean_db, pipeline.database(trial_dir), DEFAULT_STREAMS)
            results.append(
                Trial(
                    index=index,
                    kill_after=kill_after,
                    killed=first.killed,
                    first_rc=first.returncode,
                    second_rc=second.returncode,
                    exports_before_kill=before,
                    exports_after=len(again),
                    repeated_windows=sum(1 for w in again if w in done_first),
                    problems=problems,
                    seconds=time.monotonic() - trial_began,
                )
            )
            if progress is not None:
                trial = results[-1]
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
