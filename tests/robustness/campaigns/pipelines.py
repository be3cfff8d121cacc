"""The two ways the crash campaign runs tap -> loader: `tap | PipeLoader`, or Meltano."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import subprocess
import time
import typing as t

from tests.robustness.campaigns.kill_switch import KillSwitch
from tests.robustness.campaigns.pipe_loader import PipeLoader
from tests.support.meltano_project import MELTANO, REPO, clean_env, write_meltano_yml
from tests.support.secrets import TEST_API_KEY
from tests.support.tap_runner import TAP_CLI

if t.TYPE_CHECKING:
    from langdock_emulator import Emulator

PROJECT = REPO / "output" / "crash-resume" / "project"


@dataclasses.dataclass
class RunResult:
    returncode: int
    output: str
    killed: bool
    seconds: float


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
            process = subprocess.Popen(
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
            process = subprocess.Popen(
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


def _tap_import_check(tap_python: pathlib.Path) -> subprocess.CompletedProcess[str] | None:
    """Importing the tap with Meltano's tap venv (None: that venv does not exist yet)."""
    if not tap_python.exists():
        return None
    return subprocess.run(
        [str(tap_python), "-c", "import tap_langdock.tap"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def prepare_meltano_project(project: pathlib.Path = PROJECT) -> pathlib.Path:
    """A Meltano project of its own whose tap-langdock and target-duckdb are installed."""
    # Plugins are installed once and kept: the tap is an editable install of this repository,
    # so code changes need no reinstall (delete the project directory after dependency changes).
    write_meltano_yml(project)
    tap_python = project / ".meltano" / "extractors" / "tap-langdock" / "venv" / "bin" / "python"
    target_bin = project / ".meltano" / "loaders" / "target-duckdb" / "venv" / "bin"
    env = clean_env(
        MELTANO_DATABASE_URI=f"sqlite:///{project / 'install.db'}", MELTANO_VENV_BACKEND="uv"
    )

    def tap_imports() -> bool:
        check = _tap_import_check(tap_python)
        return check is not None and check.returncode == 0

    for kind, name, ready in (
        ("extractor", "tap-langdock", tap_imports()),
        ("loader", "target-duckdb", (target_bin / "target-duckdb").exists()),
    ):
        if ready:
            continue
        print(f"installing {name} into {project} ...", flush=True)
        subprocess.run(
            [str(MELTANO), "install", kind, name, "--clean"],
            cwd=project,
            env=env,
            check=True,
            capture_output=True,
            timeout=900,
        )
    check = _tap_import_check(tap_python)
    if check is None or check.returncode != 0:
        stderr = "" if check is None else check.stderr[-1500:]
        msg = f"tap-langdock does not import in Meltano's venv:\n{stderr}"
        raise RuntimeError(msg)
    return project
