"""`python -m benchmarks --quick` runs end to end and prints every figure (timings unchecked)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

FIGURES = [
    "projects_usage: tap vs plain SDK",
    "projects_usage: raw floor vs tap",
    "users_usage: tap vs plain SDK",
    "users_usage: raw floor vs tap",
    "peak RSS of the tap, users_usage",
    "peak RSS spread",
    "backfill vs floor",
    "backfill vs sequential",
    "HTTP 429 answers during the backfills",
    "--discover` start-up",
    "adaptive backfill, export latency 0.3 s",
    "adaptive backfill, 429 above 2 in flight",
    "share of export requests answered 429",
    "daily run (1 window of each default stream",
    "machine:",
]


def test_quick_benchmark_prints_every_figure(tmp_path: pathlib.Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(tmp_path / "r.md")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "TAP_LANGDOCK_BENCH_CACHE": str(tmp_path / "cache")},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for figure in FIGURES:
        assert figure in result.stdout, figure
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert len(table) >= 15
    # every goal row has a verdict
    assert all(("met" in line) for line in table if ">=" in line or "<=" in line or "< 150" in line)
    assert (tmp_path / "r.md").read_text().count("| ") > 10
