"""The main job behind `make run`: extract Langdock usage with Meltano into DuckDB, then dbt.

With TAP_LANGDOCK_API_KEY set (in the environment or in the project's .env) it extracts from
Langdock: api.langdock.com, or TAP_LANGDOCK_API_URL for a dedicated deployment. Without it, it
starts the bundled Langdock emulator on a free loopback port and extracts synthetic data from
it (Meltano environment `emulator`, so its state never mixes with a real run's).

Either way it runs `meltano run tap-langdock target-duckdb dbt:build` and ends with the rows
per table in output/langdock.duckdb and what to do next, then builds the usage report
output/langdock-report.html (packages/langdock-report). Run by `make run` with the project's
virtualenv; standalone: `.venv/bin/python scripts/run_main_job.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

import duckdb  # in the project venv: pyproject extra "warehouse"

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
OUTPUT = ROOT / "output"
DUCKDB_FILE = OUTPUT / "langdock.duckdb"
# Which source the DuckDB file holds: "emulator" or "langdock". Synthetic rows must never be
# merged into a file of real ones (or the other way round).
SOURCE_MARKER = OUTPUT / ".langdock.duckdb.source"
REPORT_FILE = OUTPUT / "langdock-report.html"
RAW_SCHEMA = "langdock_raw"
EMULATOR_START_TIMEOUT = 30.0


def _say(message: str) -> None:
    print(f"==> {message}", flush=True)


def _dotenv_value(name: str) -> str | None:
    """A value from the project's .env (Meltano reads that file too)."""
    dotenv = ROOT / ".env"
    if not dotenv.is_file():
        return None
    pattern = re.compile(rf"^\s*(?:export\s+)?{re.escape(name)}\s*=\s*(.*?)\s*$")
    for line in dotenv.read_text(encoding="utf-8").splitlines():
        match = pattern.match(line)
        if match:
            return match.group(1).strip("'\"") or None
    return None


def _have_api_key() -> bool:
    return bool(os.environ.get("TAP_LANGDOCK_API_KEY") or _dotenv_value("TAP_LANGDOCK_API_KEY"))


class EmulatorProcess:
    """`langdock-emulator` on 127.0.0.1 with a free port, for the length of the job."""

    def __init__(self) -> None:
        self.api_key = "emulator-" + secrets.token_hex(8)
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._drainer: threading.Thread | None = None

    def __enter__(self) -> EmulatorProcess:
        executable = BIN / "langdock-emulator"
        command = [str(executable), "--host", "127.0.0.1", "--port", "0", "--seed", "7"]
        env = {**os.environ, "LANGDOCK_EMULATOR_API_KEY": self.api_key}
        self._process = subprocess.Popen(  # noqa: S603 - fixed command from our own venv
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self._process.stdout is not None
        deadline = time.monotonic() + EMULATOR_START_TIMEOUT
        while time.monotonic() < deadline:
            line = self._process.stdout.readline()
            if not line:
                break
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                self.url = match.group(1)
                # Keep reading its output, so a chatty emulator can never block on a full pipe.
                self._drainer = threading.Thread(target=self._drain, daemon=True)
                self._drainer.start()
                return self
        self.close()
        msg = "the bundled Langdock emulator did not start (see its output above)"
        raise RuntimeError(msg)

    def _drain(self) -> None:
        process = self._process
        if process is None or process.stdout is None:
            return
        try:
            for line in process.stdout:
                print(f"emulator: {line.rstrip()}", flush=True)
        except ValueError:  # closed while reading
            return

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._drainer is not None:
            self._drainer.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _move(source: Path, destination: Path) -> None:
    source.replace(destination)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        wal.replace(destination.with_name(destination.name + ".wal"))


def _prepare_output(source: str) -> bool:
    """Make output/langdock.duckdb ready for data from ``source``; True if it must be built anew.

    Emulator rows and Langdock rows never share a file: when the source changes, the file is
    moved aside as output/langdock.<old source>.duckdb, and a file set aside earlier for
    ``source`` comes back (its Meltano state is still there). A missing file with Meltano state
    left from earlier runs needs a full refresh, or it would hold only the last window or two.
    """
    OUTPUT.mkdir(exist_ok=True)
    previous = SOURCE_MARKER.read_text(encoding="utf-8").strip() if SOURCE_MARKER.exists() else ""
    if previous and previous != source:
        if DUCKDB_FILE.exists():
            aside = OUTPUT / f"langdock.{previous}.duckdb"
            _move(DUCKDB_FILE, aside)
            _say(f"output/langdock.duckdb held {previous} data: moved it to output/{aside.name}")
        kept = OUTPUT / f"langdock.{source}.duckdb"
        if kept.exists():
            _move(kept, DUCKDB_FILE)
            _say(f"using the {source} data kept in output/{kept.name} again")
    SOURCE_MARKER.write_text(source + "\n", encoding="utf-8")
    return not DUCKDB_FILE.exists()


def _meltano(args: list[str], env: dict[str, str]) -> int:
    command = [str(BIN / "meltano"), *args]
    _say("meltano " + " ".join(args))
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode  # noqa: S603


def _summary(source: str) -> None:
    print()
    origin = "synthetic data from the bundled emulator" if source == "emulator" else "Langdock"
    _say(f"Done ({origin}).")
    print(f"DuckDB file: {DUCKDB_FILE}")
    with duckdb.connect(str(DUCKDB_FILE), read_only=True) as connection:
        rows = connection.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_schema like 'langdock%' order by table_schema, table_name"
        ).fetchall()
        width = max((len(f"{schema}.{name}") for schema, name, _ in rows), default=10)
        print(f"  {'table':<{width}}  rows")
        for schema, name, kind in rows:
            query = f'select count(*) from "{schema}"."{name}"'  # noqa: S608 - names from the catalog
            ((count,),) = connection.execute(query).fetchall()
            label = " (view)" if kind == "VIEW" else ""
            print(f"  {schema + '.' + name:<{width}}  {count}{label}")
    relative = DUCKDB_FILE.relative_to(ROOT)
    print(
        "\nNext:\n"
        f"  duckdb {relative}              # DuckDB CLI, if installed\n"
        f"  .venv/bin/python -c \"import duckdb; duckdb.connect('{relative}')"
        ".sql('from langdock_marts.workspace_usage_daily order by usage_date').show()\"\n"
        "  make run again later: it continues from the saved state (plus one lookback window)."
    )
    if source == "emulator":
        print(
            "  Real data: export TAP_LANGDOCK_API_KEY=<key with the USAGE_EXPORT_API scope> "
            "(or put it in .env), then make run.\n"
            "  Dedicated deployments also set TAP_LANGDOCK_API_URL=https://<host>/api/public."
        )


def _report() -> int:
    """The HTML usage report over the marts just built (packages/langdock-report)."""
    _say("building the usage report")
    command = [sys.executable, "-m", "langdock_report", "--duckdb", str(DUCKDB_FILE)]
    command += ["--out", str(REPORT_FILE)]
    status = subprocess.run(command, cwd=ROOT, check=False).returncode  # noqa: S603
    if status != 0:
        print(
            f"\nthe usage report failed (exit {status}; its error is above); the data in "
            f"{DUCKDB_FILE.relative_to(ROOT)} is complete. Fix it, then: make report",
            file=sys.stderr,
        )
    return status


@contextlib.contextmanager
def _langdock(source: str, env: dict[str, str]) -> t.Iterator[None]:
    """Langdock itself (nothing to start), or the bundled emulator with ``env`` pointed at it."""
    if source != "emulator":
        yield
        return
    with EmulatorProcess() as emulator:
        print(
            "No TAP_LANGDOCK_API_KEY set: running against the bundled Langdock emulator "
            f"(synthetic data) at {emulator.url}",
            flush=True,
        )
        env["TAP_LANGDOCK_API_URL"] = emulator.url
        env["TAP_LANGDOCK_API_KEY"] = emulator.api_key
        yield
    _say("emulator stopped")


def _run_lane(warehouse: str, source: str, env: dict[str, str]) -> int:
    """The job into PostgreSQL, Snowflake or BigQuery (run_warehouse.py), then the report."""
    # Only here: `make run` into DuckDB needs none of the other warehouses' tools.
    import run_warehouse  # noqa: PLC0415 - scripts/run_warehouse.py, next to this file

    env.pop("DBT_TARGET", None)
    with _langdock(source, env), run_warehouse.lane(warehouse, env) as lane:
        env.update(lane.env)
        run_args = ["run", "tap-langdock", lane.loader, lane.dbt_task]
        if lane.fresh:
            run_args.insert(1, "--full-refresh")
        status = _meltano(run_args, env)
        if status != 0:
            print(
                f"\nmeltano run failed (exit {status}); its log above names the step.",
                file=sys.stderr,
            )
            return status
        _say(f"Done: {warehouse} loaded and its dbt models built; building the usage report")
        command = [sys.executable, "-m", "langdock_report", *lane.report_args]
        command += ["--source", source, "--out", str(REPORT_FILE)]
        report_env = run_warehouse.report_env(lane.env)
        return subprocess.run(command, cwd=ROOT, env=report_env, check=False).returncode  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="make run: Langdock usage into a warehouse")
    parser.add_argument(
        "--warehouse", default="duckdb", help="duckdb, postgres, snowflake or bigquery"
    )
    warehouse = parser.parse_args(argv).warehouse
    env = dict(os.environ)
    if _have_api_key():
        source, environment = "langdock", env.get("MELTANO_ENVIRONMENT") or "dev"
        url = env.get("TAP_LANGDOCK_API_URL") or _dotenv_value("TAP_LANGDOCK_API_URL")
        _say(
            f"TAP_LANGDOCK_API_KEY is set: extracting from Langdock at {url or 'https://api.langdock.com'}"
        )
    else:
        source, environment = "emulator", "emulator"
    env["MELTANO_ENVIRONMENT"] = environment
    if warehouse != "duckdb":
        return _run_lane(warehouse, source, env)
    fresh = _prepare_output(source)
    env["MELTANO_ENVIRONMENT"] = environment
    env["TARGET_DUCKDB_FILEPATH"] = str(DUCKDB_FILE)
    env.pop("DBT_TARGET", None)
    run_args = ["run", "tap-langdock", "target-duckdb", "dbt:build"]
    if fresh:
        # Meltano may hold state from runs into a file that is gone: start from start_date.
        run_args.insert(1, "--full-refresh")

    with _langdock(source, env):
        status = _meltano(run_args, env)

    if status != 0:
        print(
            f"\nmeltano run failed (exit {status}); its log above names the step. "
            "Fix it and run make run again: state is saved per completed window.",
            file=sys.stderr,
        )
        return status
    _summary(source)
    return _report()


if __name__ == "__main__":
    if shutil.which("meltano", path=str(BIN)) is None:
        print("meltano is not installed in this virtualenv: run `make run`", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main())
