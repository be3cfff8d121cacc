"""`python -m benchmarks.report --quick` builds its marts and times the report end to end."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_quick_report_benchmark_prints_its_timings(tmp_path: pathlib.Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.report", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(
        r"^report benchmark: 300 users, 60 days, [\d,]+ user rows", result.stdout, re.M
    )
    assert re.search(r"first run \(Vega bundle built\): \d+\.\d\d s$", result.stdout, re.M)
    assert re.search(r"later runs: \d+\.\d\d s \(meets the goal", result.stdout, re.M)
