"""`make dagster`: `dagster dev` on 127.0.0.1 with the emulator serving three workspaces.

Starts `langdock-emulator --workspace acme=31 --workspace beta=32 --workspace gamma=33` on a
free loopback port, writes a workspaces file for them (output/dagster/workspaces.yml, so a
workspaces.yml of your own is untouched), gives each workspace a fresh key in its own
variable, and runs `dagster dev` with output/dagster/home as DAGSTER_HOME (the concurrency
limits of packages/langdock-dagster/dagster.yaml). Loads go to output/dagster/langdock.duckdb
in Meltano's `emulator` environment, so their state never mixes with a real run's.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORK = ROOT / "output" / "dagster"
WORKSPACES = {"acme": 31, "beta": 32, "gamma": 33}


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    home = WORK / "home"
    home.mkdir(exist_ok=True)
    shutil.copy(ROOT / "packages/langdock-dagster/dagster.yaml", home / "dagster.yaml")
    keys = {name: "emulator-" + secrets.token_hex(8) for name in WORKSPACES}
    env = {**os.environ}
    for name, key in keys.items():
        env[f"LANGDOCK_EMULATOR_API_KEY_{name.upper()}"] = key
        env[f"LANGDOCK_KEY_{name.upper()}"] = key
    command = [str(BIN / "langdock-emulator"), "--host", "127.0.0.1", "--port", "0"]
    for name, seed in WORKSPACES.items():
        command += ["--workspace", f"{name}={seed}"]
    emulator = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert emulator.stdout is not None
        match = re.search(r"listening on (http://\S+)", emulator.stdout.readline())
        if match is None:
            print("==> the emulator did not start", file=sys.stderr)
            return 1
        url = match.group(1)
        entries = "".join(
            f"  - name: {name}\n    api_key_env: LANGDOCK_KEY_{name.upper()}\n    api_url: {url}\n"
            for name in WORKSPACES
        )
        workspaces = WORK / "workspaces.yml"
        workspaces.write_text(f"# written by make dagster\nworkspaces:\n{entries}", "utf-8")
        env.update(
            DAGSTER_HOME=str(home),
            LANGDOCK_WORKSPACES_FILE=str(workspaces),
            LANGDOCK_DAGSTER_ENVIRONMENT="emulator",
            TARGET_DUCKDB_FILEPATH=str(WORK / "langdock.duckdb"),
            DBT_DUCKDB_PATH=str(WORK / "langdock.duckdb"),
        )
        print(f"==> emulator with {', '.join(WORKSPACES)} on {url}; Dagster on 127.0.0.1:3000")
        dagster = [str(BIN / "dagster"), "dev", "-h", "127.0.0.1", "-p", "3000"]
        dagster += ["-m", "langdock_dagster.definitions"]
        return subprocess.call(dagster, env=env, cwd=ROOT)  # noqa: S603
    except KeyboardInterrupt:
        return 0
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)


if __name__ == "__main__":
    raise SystemExit(main())
