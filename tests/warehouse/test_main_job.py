"""`make run`'s job (scripts/run_main_job.py) without a key: emulator, Meltano, DuckDB, dbt."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.support.meltano_project import (
    DEFAULT_STREAMS,
    END_DATE,
    MARTS,
    REPO,
    START_DATE,
    clean_env,
)
from tests.support.secrets import scan_for_secrets

pytestmark = pytest.mark.slow


def test_main_job_without_a_key_runs_against_the_emulator(meltano_project: Path) -> None:
    (meltano_project / "scripts").mkdir(exist_ok=True)
    shutil.copy(REPO / "scripts" / "run_main_job.py", meltano_project / "scripts")
    result = subprocess.run(
        [sys.executable, str(meltano_project / "scripts" / "run_main_job.py")],
        cwd=meltano_project,
        env=clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{meltano_project / 'main-job.db'}",
            # Fixed dates instead of meltano.yml's "30 days ago": the same windows every day.
            TAP_LANGDOCK_START_DATE=START_DATE,
            TAP_LANGDOCK_END_DATE=END_DATE,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout
    scan_for_secrets(output, "run_main_job.py")
    assert result.returncode == 0, output[-5000:]
    assert re.search(
        r"^No TAP_LANGDOCK_API_KEY set: running against the bundled Langdock emulator "
        r"\(synthetic data\) at http://127\.0\.0\.1:\d+$",
        output,
        re.MULTILINE,
    ), output[-3000:]
    assert "emulator stopped" in output

    database = meltano_project / "output" / "langdock.duckdb"
    assert f"DuckDB file: {database}" in output
    with duckdb.connect(str(database), read_only=True) as connection:
        for table in [f"langdock_raw.{s}" for s in DEFAULT_STREAMS] + [
            f"langdock_marts.{m}" for m in MARTS
        ]:
            ((count,),) = connection.execute(f"select count(*) from {table}").fetchall()
            assert count > 0, table
            # The summary names every table with its row count.
            assert re.search(rf"^  {re.escape(table)}\s+{count}$", output, re.MULTILINE), table
