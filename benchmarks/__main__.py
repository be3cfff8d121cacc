"""``python -m benchmarks [--quick]``: throughput, memory and backfill figures, side by side.

Every figure is a ratio measured in this one run on this machine, so a noisy neighbour moves
numerator and denominator alike. ``--quick`` runs the same code on small inputs (a CI smoke
run: it prints every figure but its timings mean little). Full runs write benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass

from benchmarks import backfill as adaptive
from benchmarks.data import BENCH_KEY, STREAMS, export_file
from langdock_emulator import Emulator

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = pathlib.Path(__file__).resolve().parent / "RESULTS.md"
PYTHON = sys.executable


@dataclass
class Child:
    seconds: float
    lines: int
    max_rss_mb: float
    timed: float | None = None


def run_child(command: list[str], log: pathlib.Path) -> Child:
    """Run a process with stdout read (and counted) like a target would; its own peak RSS."""
    started = time.perf_counter()
    with log.open("wb") as err:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, cwd=ROOT)
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        lines = 0
        while chunk := os.read(fd, 1 << 20):
            lines += chunk.count(b"\n")
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        msg = f"{command[:4]} failed ({proc.returncode}):\n{tail}"
        raise RuntimeError(msg)
    # ru_maxrss is in KiB on Linux.
    return Child(seconds=seconds, lines=lines, max_rss_mb=usage.ru_maxrss / 1024)


def throughput(rows: int, work: pathlib.Path) -> dict[str, dict[str, float]]:
    config = {
        "api_key": BENCH_KEY,
        "api_url": "http://127.0.0.1:9",
        "start_date": "2025-03-01",
        "end_date": "2025-03-01",
    }
    out: dict[str, dict[str, float]] = {}
    for export_type, stream in STREAMS.items():
        path = export_file(export_type, rows)
        figures: dict[str, float] = {}
        for variant in ("raw", "plain", "tap"):
            result = work / f"{variant}-{stream}.json"
            command = [PYTHON, "-m", "benchmarks.child", variant, stream, str(path), str(result)]
            child = run_child([*command, json.dumps(config)], work / f"{variant}-{stream}.log")
            seconds = json.loads(result.read_text())["seconds"]
            if child.lines < rows:
                msg = f"{variant} {stream}: {child.lines} lines for {rows} rows"
                raise RuntimeError(msg)
            figures[variant] = rows / seconds
        out[stream] = figures
        print(
            f"  {stream:15} {rows:>9,} rows: raw {figures['raw']:>9,.0f}/s  "
            f"plain SDK {figures['plain']:>8,.0f}/s  tap {figures['tap']:>8,.0f}/s",
            flush=True,
        )
    return out


def tap_command(config: dict[str, t.Any], work: pathlib.Path, name: str) -> list[str]:
    path = work / f"{name}.json"
    path.write_text(json.dumps(config))
    return [PYTHON, "-m", "tap_langdock", "--config", str(path)]


def select_only(stream: str, config_path: list[str], work: pathlib.Path, name: str) -> list[str]:
    """The command plus a catalog that selects one stream."""
    catalog = subprocess.run(
        [*config_path, "--discover"], capture_output=True, check=True, cwd=ROOT
    ).stdout
    document = json.loads(catalog)
    for entry in document["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] == stream
    path = work / f"{name}-catalog.json"
    path.write_text(json.dumps(document))
    return [*config_path, "--catalog", str(path)]


def memory(sizes: list[int], work: pathlib.Path) -> dict[int, float]:
    out: dict[int, float] = {}
    day = "2025-03-01"
    for rows in sizes:
        with Emulator(api_key=BENCH_KEY, seed=7) as emu:
            emu.settings.bulk_rows = rows
            config = {"api_key": BENCH_KEY, "api_url": emu.url, "start_date": day, "end_date": day}
            command = select_only(
                "users_usage", tap_command(config, work, f"rss-{rows}"), work, f"rss-{rows}"
            )
            child = run_child(command, work / f"rss-{rows}.log")
        if child.lines < rows:
            msg = f"memory run at {rows} rows emitted {child.lines} lines"
            raise RuntimeError(msg)
        out[rows] = child.max_rss_mb
        print(f"  users_usage {rows:>9,} rows: peak RSS {child.max_rss_mb:6.1f} MB", flush=True)
    return out


@dataclass
class Backfill:
    windows: int
    latency: float
    limit: int
    parallel: int
    seconds: float
    throttled: int
    requests: int
    sequential_windows: int
    sequential_seconds: float

    @property
    def floor(self) -> float:
        return max(self.windows * 60 / self.limit, self.windows * self.latency / self.parallel)

    @property
    def sequential_estimate(self) -> float:
        return self.sequential_seconds * self.windows / self.sequential_windows


def backfill_run(
    windows: int, latency: float, limit: int, parallel: int, *, work: pathlib.Path, name: str
) -> tuple[float, int, int]:
    end = dt.date.today() - dt.timedelta(days=2)
    start = end - dt.timedelta(days=windows - 1)
    with Emulator(api_key=BENCH_KEY, seed=7) as emu:
        emu.settings.export_latency_seconds = latency
        emu.settings.rate_limit_per_minute = limit
        config = {
            "api_key": BENCH_KEY,
            "api_url": emu.url,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "max_parallel_exports": parallel,
            "lookback_windows": 0,
        }
        command = select_only("projects_usage", tap_command(config, work, name), work, name)
        child = run_child(command, work / f"{name}.log")
        statuses = [r.status for r in emu.export_requests]
    return child.seconds, statuses.count(429), len(statuses)


def backfill(quick: bool, work: pathlib.Path) -> Backfill:
    windows, latency, sequential_windows = (20, 0.2, 8) if quick else (365, 1.0, 40)
    limit, parallel = 500, 4
    seconds, throttled, requests = backfill_run(
        windows, latency, limit, parallel, work=work, name="bf"
    )
    print(f"  {windows} windows, {parallel} in flight: {seconds:.1f} s, {throttled} x 429")
    seq_seconds, seq_throttled, _ = backfill_run(
        sequential_windows, latency, limit, 1, work=work, name="bf-seq"
    )
    print(f"  {sequential_windows} windows one at a time: {seq_seconds:.1f} s", flush=True)
    return Backfill(
        windows=windows,
        latency=latency,
        limit=limit,
        parallel=parallel,
        seconds=seconds,
        throttled=throttled + seq_throttled,
        requests=requests,
        sequential_windows=sequential_windows,
        sequential_seconds=seq_seconds,
    )


def discover(work: pathlib.Path, runs: int) -> float:
    config = {"api_key": BENCH_KEY, "start_date": "2025-03-01"}
    command = [*tap_command(config, work, "discover"), "--discover"]
    times = []
    for i in range(runs):
        times.append(run_child(command, work / f"discover-{i}.log").seconds)
    return statistics.median(times)


def machine() -> str:
    model = "unknown"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def table(
    rows: int,
    speeds: dict[str, dict[str, float]],
    rss: dict[int, float],
    fill: Backfill,
    discover_seconds: float,
) -> list[tuple[str, str, str, str]]:
    lines: list[tuple[str, str, str, str]] = []
    for stream, f in speeds.items():
        vs_plain = f["tap"] / f["plain"]
        vs_raw = f["raw"] / f["tap"]
        lines.append(
            (
                f"{stream}, {rows:,} rows: records/s raw floor / plain SDK / tap",
                f"{f['raw']:,.0f} / {f['plain']:,.0f} / {f['tap']:,.0f}",
                "",
                "",
            )
        )
        lines.append(
            (f"{stream}: tap vs plain SDK", f"{vs_plain:.2f}x", ">= 2.5x", verdict(vs_plain >= 2.5))
        )
        lines.append(
            (
                f"{stream}: raw floor vs tap",
                f"{vs_raw:.2f}x",
                "<= 5x (aim 3x)",
                verdict(vs_raw <= 5),
            )
        )
    sizes = sorted(rss)
    low, high = min(rss.values()), max(rss.values())
    spread = (high - low) / low
    lines.append(
        (
            "peak RSS of the tap, users_usage " + " / ".join(f"{s:,}" for s in sizes) + " rows",
            " / ".join(f"{rss[s]:.0f} MB" for s in sizes),
            "< 150 MB",
            verdict(high < 150),
        )
    )
    lines.append(
        ("peak RSS spread (max / min - 1)", f"{spread:.1%}", "<= 20 %", verdict(spread <= 0.2))
    )
    ratio = fill.seconds / fill.floor
    speedup = fill.sequential_estimate / fill.seconds
    lines.append(
        (
            f"backfill {fill.windows} windows ({fill.latency:g} s export latency, "
            f"{fill.limit}/min limit, max_parallel_exports={fill.parallel}): wall time",
            f"{fill.seconds:.1f} s",
            "",
            "",
        )
    )
    lines.append(
        (
            f"backfill vs floor max({fill.windows}x60/{fill.limit}, "
            f"{fill.windows}x{fill.latency:g}/{fill.parallel}) = {fill.floor:.1f} s",
            f"{ratio:.2f}x",
            "<= 1.2x",
            verdict(ratio <= 1.2),
        )
    )
    lines.append(
        (
            f"backfill vs sequential (max_parallel_exports=1: {fill.sequential_windows} windows "
            f"took {fill.sequential_seconds:.1f} s, extrapolated to {fill.windows}: "
            f"{fill.sequential_estimate:.0f} s)",
            f"{speedup:.2f}x faster",
            ">= 3.5x",
            verdict(speedup >= 3.5),
        )
    )
    lines.append(
        (
            "HTTP 429 answers during the backfills",
            str(fill.throttled),
            "0",
            verdict(fill.throttled == 0),
        )
    )
    lines.append(
        (
            "`tap-langdock --discover` start-up (median of 3, wall)",
            f"{discover_seconds:.2f} s",
            "",
            "",
        )
    )
    return lines


def render(lines: list[tuple[str, str, str, str]]) -> str:
    head = ("Figure", "Measured", "Goal", "Result")
    rows = [head, ("---",) * 4, *lines]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small inputs, for CI smoke runs")
    parser.add_argument(
        "--output",
        type=pathlib.Path,
        default=None,
        help=f"write the table here (full runs: {RESULTS})",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    rows = 20_000 if quick else 1_000_000
    sizes = [2_000, 5_000, 20_000] if quick else [10_000, 100_000, 1_000_000]
    started = time.perf_counter()
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="tap-langdock-bench-") as tmp:
        work = pathlib.Path(tmp)
        print("(a) throughput, CSV file to RECORD messages on a pipe", flush=True)
        speeds = throughput(rows, work)
        print("(b) peak RSS of the tap process, end to end against the emulator", flush=True)
        rss = memory(sizes, work)
        print("(c) backfill against the emulator", flush=True)
        fill = backfill(quick, work)
        print("(d) discovery start-up", flush=True)
        discover_seconds = discover(work, 3)
        print("(e) adaptive backfill and daily run (issue 13)", flush=True)
        adaptive_figures = adaptive.run(quick, work)
    lines = table(rows, speeds, rss, fill, discover_seconds) + adaptive.rows(adaptive_figures)
    text = render(lines)
    print()
    print(text)
    print(f"\nmachine: {machine()}\ntotal benchmark time: {time.perf_counter() - started:.0f} s")
    output = args.output or (None if quick else RESULTS)
    if output is not None:
        output.write_text(
            "# Benchmark results\n\n"
            f"`python -m benchmarks` on {dt.date.today().isoformat()}.\n\n"
            f"Machine: {machine()}.\n\n{text}\n",
            encoding="utf-8",
        )
        print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
