"""``python -m benchmarks.backfill [--quick]``: issue 13's backfill goals, against the emulator.

A first run backfills a year: 365 day-exports per stream, each taking Langdock seconds to
create. These figures run the real tap (a subprocess, records counted and checked for window
order) on 365 day windows of ``projects_usage`` with ``max_parallel_exports`` at the ceiling
proposed for adaptive parallelism (`CEILING`), against an emulator that

- takes 5 s per export, and then 1 s, with Langdock's 500 requests per minute (the tap keeps
  to 450): wall time within 1.3x and 1.2x of the rate floor 365 x 60 / 450 s, no 429;
- answers 429 (``Retry-After: 1``) while 8 exports are in flight, at 5 s per export: within
  1.3x of 365 x 5 / 8 s, at most 5 % of export requests answered 429;

and a daily run (one window for each of the five default streams) at the ceiling against the
same run at today's default of 4 in flight: no slower (10 % allowed for start-up noise).

The tap of today keeps a fixed number in flight, so it misses some goals; the figures are
honest either way. ``python -m benchmarks`` includes them in its table; run alone, this
module prints just these. ``--quick`` runs the same code on a few short windows (CI smoke
run: every figure is printed, none means much).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass

from benchmarks.data import BENCH_KEY
from langdock_emulator import Emulator

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CEILING = 48
"""The ceiling proposed as max_parallel_exports' default (the tap's own default is unchanged)."""
TODAY = 4
"""max_parallel_exports' default before adaptive parallelism."""
TAP_PER_MINUTE = 450
LANGDOCK_PER_MINUTE = 500
STREAM = "projects_usage"

Row = tuple[str, str, str, str]


@dataclass(frozen=True)
class Scenario:
    name: str
    windows: int
    latency: float
    cap: int | None = None
    goal: float = 1.3
    max_429_share: float | None = None

    @property
    def floor(self) -> float:
        if self.cap is not None:
            return self.windows * self.latency / self.cap
        return self.windows * 60 / TAP_PER_MINUTE

    @property
    def floor_text(self) -> str:
        if self.cap is not None:
            return f"{self.windows}x{self.latency:g}/{self.cap}"
        return f"{self.windows}x60/{TAP_PER_MINUTE}"


@dataclass
class Run:
    seconds: float
    requests: int
    throttled: int
    peak: int
    records: int
    streams: int
    failure: str | None = None


@dataclass
class Figures:
    backfills: list[tuple[Scenario, Run]]
    daily: tuple[list[Run], list[Run]]
    """(runs at CEILING, runs at TODAY)."""
    daily_latency: float


def scenarios(quick: bool) -> list[Scenario]:
    if quick:
        return [
            Scenario("export latency 0.3 s", 12, 0.3),
            Scenario("export latency 0.1 s", 12, 0.1, goal=1.2),
            Scenario("429 above 2 in flight, 0.3 s", 12, 0.3, cap=2, max_429_share=0.05),
        ]
    return [
        Scenario("export latency 5 s", 365, 5.0),
        Scenario("export latency 1 s", 365, 1.0, goal=1.2),
        Scenario("429 above 8 in flight, 5 s", 365, 5.0, cap=8, max_429_share=0.05),
    ]


def catalog(work: pathlib.Path) -> pathlib.Path:
    """A catalog selecting only STREAM (discovery needs no API)."""
    config = work / "discover.json"
    config.write_text(json.dumps({"api_key": BENCH_KEY, "start_date": "2025-03-01"}))
    found = subprocess.run(
        [PYTHON, "-m", "tap_langdock", "--config", str(config), "--discover"],
        capture_output=True,
        check=True,
        cwd=ROOT,
    ).stdout
    document = json.loads(found)
    for entry in document["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] == STREAM
    path = work / "backfill-catalog.json"
    path.write_text(json.dumps(document))
    return path


def check_output(stdout: bytes) -> tuple[int, int]:
    """(records, streams); raises if any stream's records leave window order."""
    last: dict[str, str] = {}
    records = 0
    for line in stdout.splitlines():
        message = json.loads(line)
        if message.get("type") != "RECORD":
            continue
        records += 1
        stream, start = message["stream"], message["record"]["window_start"]
        if start < last.get(stream, ""):
            msg = f"{stream}: window {start} came after {last[stream]}"
            raise RuntimeError(msg)
        last[stream] = start
    return records, len(last)


def run_tap(
    *,
    windows: int,
    latency: float,
    cap: int | None,
    parallel: int,
    work: pathlib.Path,
    name: str,
    selected: pathlib.Path | None,
) -> Run:
    end = dt.date.today() - dt.timedelta(days=2)
    start = end - dt.timedelta(days=windows - 1)
    with Emulator(api_key=BENCH_KEY, seed=7) as emu:
        emu.settings.export_latency_seconds = latency
        emu.settings.rate_limit_per_minute = LANGDOCK_PER_MINUTE
        emu.settings.max_concurrent_exports = cap
        config = work / f"{name}.json"
        config.write_text(
            json.dumps(
                {
                    "api_key": BENCH_KEY,
                    "api_url": emu.url,
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "max_parallel_exports": parallel,
                    "max_requests_per_minute": TAP_PER_MINUTE,
                    "lookback_windows": 0,
                }
            )
        )
        command = [PYTHON, "-m", "tap_langdock", "--config", str(config)]
        if selected is not None:
            command += ["--catalog", str(selected)]
        log = work / f"{name}.log"
        started = time.perf_counter()
        with log.open("wb") as err:
            done = subprocess.run(
                command, stdout=subprocess.PIPE, stderr=err, cwd=ROOT, check=False
            )
        seconds = time.perf_counter() - started
        statuses = [r.status for r in emu.export_requests]
        peak = emu.load.counts()["peak_exports_in_flight"]
    run = Run(seconds, len(statuses), statuses.count(429), peak, 0, 0)
    if done.returncode != 0:
        lines = log.read_text(errors="replace").strip().splitlines()
        run.failure = f"tap exited {done.returncode}: {lines[-1] if lines else ''}"[:200]
        return run
    run.records, run.streams = check_output(done.stdout)
    return run


def describe(run: Run) -> str:
    return (
        f"{run.seconds:.1f} s, {run.requests} export requests, {run.throttled} x 429, "
        f"peak {run.peak} in flight, {run.records} records"
        + (f", FAILED: {run.failure}" if run.failure else "")
    )


def run(quick: bool, work: pathlib.Path) -> Figures:
    selected = catalog(work)
    backfills: list[tuple[Scenario, Run]] = []
    for i, scenario in enumerate(scenarios(quick)):
        result = run_tap(
            windows=scenario.windows,
            latency=scenario.latency,
            cap=scenario.cap,
            parallel=CEILING,
            work=work,
            name=f"adaptive-{i}",
            selected=selected,
        )
        print(f"  {scenario.name}, {scenario.windows} windows: {describe(result)}", flush=True)
        backfills.append((scenario, result))
    daily_latency = 0.1 if quick else 1.0
    daily: tuple[list[Run], list[Run]] = ([], [])
    for i in range(1 if quick else 3):
        # Interleaved, so a noisy neighbour slows both alike.
        for parallel, runs in ((CEILING, daily[0]), (TODAY, daily[1])):
            result = run_tap(
                windows=1,
                latency=daily_latency,
                cap=None,
                parallel=parallel,
                work=work,
                name=f"daily-{parallel}-{i}",
                selected=None,
            )
            print(f"  daily run, max_parallel_exports={parallel}: {describe(result)}", flush=True)
            runs.append(result)
    return Figures(backfills, daily, daily_latency)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def backfill_rows(scenario: Scenario, result: Run) -> list[Row]:
    where = (
        f"adaptive backfill, {scenario.name} ({scenario.windows} windows of {STREAM}, "
        f"{TAP_PER_MINUTE}/min, max_parallel_exports={CEILING})"
    )
    if result.failure is not None:
        return [(f"{where}: wall vs floor", f"failed: {result.failure}", "", "NOT met")]
    ratio = result.seconds / scenario.floor
    rows: list[Row] = [
        (
            f"{where}: wall vs floor {scenario.floor_text} = {scenario.floor:.1f} s",
            f"{result.seconds:.1f} s = {ratio:.2f}x (peak {result.peak} in flight)",
            f"<= {scenario.goal:g}x",
            verdict(ratio <= scenario.goal),
        )
    ]
    where = f"adaptive backfill, {scenario.name}"
    if scenario.max_429_share is None:
        rows.append(
            (
                f"{where}: HTTP 429 answers",
                f"{result.throttled} of {result.requests}",
                "0",
                verdict(result.throttled == 0),
            )
        )
    else:
        share = result.throttled / max(1, result.requests)
        rows.append(
            (
                f"{where}: share of export requests answered 429",
                f"{share:.1%} ({result.throttled} of {result.requests})",
                f"<= {scenario.max_429_share:.0%}",
                verdict(share <= scenario.max_429_share),
            )
        )
    return rows


def daily_row(figures: Figures) -> Row:
    ceiling, today = figures.daily
    failed = [r.failure for r in ceiling + today if r.failure is not None]
    where = (
        f"daily run (1 window of each default stream, {figures.daily_latency:g} s latency): "
        f"max_parallel_exports={CEILING} vs {TODAY} (today's default), median of {len(ceiling)}"
    )
    if failed:
        return (where, f"failed: {failed[0]}", "", "NOT met")
    new = statistics.median(r.seconds for r in ceiling)
    old = statistics.median(r.seconds for r in today)
    ratio = new / old
    return (
        where,
        f"{new:.2f} s vs {old:.2f} s = {ratio:.2f}x ({ceiling[0].streams} streams)",
        "<= 1.1x",
        verdict(ratio <= 1.1),
    )


def rows(figures: Figures) -> list[Row]:
    """Table rows: every figure with its goal."""
    lines = [
        row for scenario, result in figures.backfills for row in backfill_rows(scenario, result)
    ]
    lines.append(daily_row(figures))
    return lines


def main(argv: t.Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.backfill", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few short windows, for CI")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tap-langdock-backfill-") as tmp:
        figures = run(args.quick, pathlib.Path(tmp))
    head: Row = ("Figure", "Measured", "Goal", "Result")
    table = [head, ("---", "---", "---", "---"), *rows(figures)]
    print()
    print("\n".join("| " + " | ".join(cells) + " |" for cells in table))
    print(f"\ntotal: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
