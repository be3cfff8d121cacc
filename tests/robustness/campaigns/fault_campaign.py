"""Fault campaign: a backfill of every default stream under seeded random faults equals a clean run.

Full size (the documented command; about a minute on 2 cores):

    .venv/bin/python scripts/fault_campaign.py
    .venv/bin/python -m tests.robustness.campaigns.fault_campaign   # the same, from the root

runs a 90-day backfill of projects_usage, users_usage, agents_usage, api_keys_usage and
models_usage twice against the bundled Langdock emulator over loopback HTTP: once clean, once
with random faults on 55 % of all requests (429 with Retry-After, 500/502/503, connection
resets, answers slower than the 1 s request timeout, truncated downloads, expired signed URLs,
storage 403s, recordCount mismatches). Then it compares the two: the same records by primary
key and values, the same final state, and, after loading both runs into a DuckDB file with a
small append-only loader of its own (not target-duckdb: appending keeps any doubled row
visible instead of merging it away), zero duplicate keys and zero differing rows. Exit code 0
when every check holds and at least ``--min-faults`` faults were injected.

The tap runs in-process with a fake retry clock: Retry-After and backoff waits cost nothing but
still count against the retry budget. Only the "slow" faults cost real time (the client's 1 s
timeout), which is why they are rare. ``--days 20`` is the size CI runs
(tests/robustness/test_fault_campaign.py).

The fault sequence is seeded. With the tap's default parallel exports, which request meets
which fault depends on thread timing, so the counts differ by a few percent between runs; the
result must not. ``--parallel 1`` makes a campaign exactly repeatable.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import pathlib
import tempfile
import time
import typing as t

import duckdb

from langdock_emulator import Emulator, Fault
from tests.support.clock import fake_clock
from tests.support.contract import DEFAULT_STREAMS
from tests.support.duckdb_checks import (
    duckdb_duplicate_keys,
    duckdb_table_difference,
    load_into_duckdb,
)
from tests.support.records import record_differences
from tests.support.secrets import TEST_API_KEY, rescan
from tests.support.tap_runner import TapRun, days, run_tap, summary_figures, tap_config

START = "2026-06-01"
SLOW_DELAY = 2.0  # seconds the emulator waits before a slow answer; the tap's timeout is 1 s
# Kinds repeat to weight them: the emulator picks uniformly among the kinds that fit a request
# (export POST or storage GET). The tap gives up on a window after 3 fresh exports (signed URL
# refused or expired), 3 bad answers or 2 bad files, so the kinds that cost a fresh export are
# kept rare: a refusal ends ~5 % of a window's download cycles, and the chance that any of
# the 450 windows of a full campaign meets 4 of them is about 0.2 %. Slow answers cost a
# real second each (the 1 s request timeout), so they are rare too.
EXPORT_KINDS: list[str | Fault] = [
    *["rate_limit"] * 40,  # Retry-After 0 or 1 s
    *[Fault("rate_limit", retry_after="30")] * 10,
    *[Fault("rate_limit", retry_after="Wed, 21 Oct 2015 07:28:00 GMT")] * 4,
    *["server_error"] * 40,  # 500, 502 or 503
    # Resets are kept rarer than other errors: three on a stream's first export stop the run
    # (a tap bug, see test_resets_on_a_later_streams_first_window_are_retried).
    *["reset"] * 8,
    *["expired_url"] * 2,
    "record_count_mismatch",
    *["slow"] * 2,
]
GUARANTEED = (
    Fault("rate_limit", retry_after="1"),
    Fault("server_error", status=503),
    Fault("reset"),
    Fault("slow", delay=SLOW_DELAY),
    Fault("expired_url"),
    Fault("download_reset"),
    Fault("truncate"),
    Fault("storage_403"),
)
DOWNLOAD_KINDS: list[str | Fault] = [
    *["download_reset"] * 22,
    *["truncate"] * 22,
    "storage_403",
]


@dataclasses.dataclass
class CampaignResult:
    days: int
    streams: tuple[str, ...]
    rate: float
    seed: int
    parallel: int | None
    faults: collections.Counter[str]
    requests: int
    retries: int
    re_exports: int
    clean_seconds: float
    faulty_seconds: float
    records: int
    problems: list[str]
    duplicate_keys: dict[str, int]
    differing_rows: dict[str, int]
    duckdb_path: str
    error: str | None
    faulty: TapRun = dataclasses.field(repr=False)

    @property
    def total_faults(self) -> int:
        return sum(self.faults.values())

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and not self.problems
            and not any(self.duplicate_keys.values())
            and not any(self.differing_rows.values())
        )

    def report(self) -> str:
        state_problems = [p for p in self.problems if p.startswith("final state")]
        record_problems = [p for p in self.problems if p not in state_problems]
        lines = [
            f"fault campaign: {self.days} days x {len(self.streams)} streams "
            f"({', '.join(self.streams)}), fault rate {self.rate:.0%}, seed {self.seed}, "
            f"max_parallel_exports {self.parallel or 'default'}",
            f"  requests (faulty run): {self.requests}; faults injected: {self.total_faults} "
            f"({self.total_faults / max(self.requests, 1):.0%} of requests)",
        ]
        lines += [f"    {kind:<22} {count:>5}" for kind, count in sorted(self.faults.items())]
        lines += [
            f"  retries: {self.retries}; re-exports (fresh signed URL / file): {self.re_exports}",
            f"  wall time: clean {self.clean_seconds:.1f} s, faulty {self.faulty_seconds:.1f} s",
            f"  records: {self.records}; same records by key and value: "
            f"{'NO' if record_problems else 'yes'}",
            f"  same final state: {'NO' if state_problems else 'yes'}",
            f"  DuckDB ({self.duckdb_path}, own append-only loader): duplicate keys "
            f"{sum(self.duplicate_keys.values())}, rows differing from the clean run "
            f"{sum(self.differing_rows.values())}",
        ]
        if self.error:
            lines.append(f"  ERROR: the faulty run stopped: {self.error}")
        lines += [f"  PROBLEM: {problem}" for problem in self.problems]
        lines.append(f"  result: {'PASS' if self.ok else 'FAIL'}")
        return "\n".join(lines)


def _config(
    emu: Emulator, start_date: str, end_date: str, parallel: int | None
) -> dict[str, t.Any]:
    config = tap_config(
        emu,
        start_date=start_date,
        end_date=end_date,
        request_timeout=1,
        lookback_windows=1,
    )
    # The emulator has no rate limit here; the tap's own limiter (450 export requests a
    # minute, in real time) would only stretch a 1,000-fault campaign over minutes.
    config["max_requests_per_minute"] = 100_000
    if parallel is not None:
        config["max_parallel_exports"] = parallel
    return config


def _inject_faults(emu: Emulator, rate: float, seed: int) -> None:
    # One of each kind up front, so even a short campaign meets every kind; queued
    # faults go to the first requests they fit, before the random ones.
    for fault in GUARANTEED:
        emu.add_fault(fault)
    emu.set_random_faults(
        rate, seed=seed, kinds=[*EXPORT_KINDS, *DOWNLOAD_KINDS], slow_delay=SLOW_DELAY
    )


def _compare_in_duckdb(
    path: pathlib.Path, clean: TapRun, faulty: TapRun, streams: t.Sequence[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Both runs appended into one DuckDB file: (duplicate keys, differing rows) by stream."""
    path.unlink(missing_ok=True)
    duplicates: dict[str, int] = {}
    differing: dict[str, int] = {}
    with duckdb.connect(str(path)) as con:
        load_into_duckdb(con, "clean", clean)
        load_into_duckdb(con, "faulty", faulty)
        for stream in streams:
            if stream not in clean.schemas:
                continue
            columns = list(clean.schemas[stream]["schema"]["properties"])
            duplicates[stream] = duckdb_duplicate_keys(con, "faulty", stream)
            differing[stream] = duckdb_table_difference(
                con, f'clean."{stream}"', f'faulty."{stream}"', columns
            )
    return duplicates, differing


def run_campaign(
    *,
    days_count: int = 90,
    streams: t.Sequence[str] = DEFAULT_STREAMS,
    rate: float = 0.55,
    seed: int = 3,
    duckdb_path: pathlib.Path | None = None,
    start: str = START,
    parallel: int | None = None,
) -> CampaignResult:
    """Run the clean and the faulty backfill and compare them."""
    start_date, end_date = days(start, days_count)
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu, fake_clock():
        config = _config(emu, start_date, end_date, parallel)
        began = time.monotonic()
        clean = run_tap(config, streams=streams)
        clean_seconds = time.monotonic() - began
        if clean.error is not None:
            msg = f"the clean run failed: {clean.error}"
            raise RuntimeError(msg)
        rescan(emu, clean, where="clean run")
        emu.reset()
        _inject_faults(emu, rate, seed)
        began = time.monotonic()
        faulty = run_tap(config, streams=streams)
        faulty_seconds = time.monotonic() - began
        emu.set_random_faults(None)
        rescan(emu, faulty, where="faulty run")
        faults = collections.Counter(kind for kind, _, _ in emu.fault_log)
        requests = len(emu.export_requests) + len(emu.download_requests)
        assert emu.storage_saw_authorization == 0, "the API key reached the storage host"
        if faults["slow"]:
            # A slow answer's handler sleeps on after the tap gave up; let it finish before
            # the emulator deletes its files (reported: it prints a traceback otherwise).
            time.sleep(SLOW_DELAY + 0.1)

    problems = record_differences(clean.records, faulty.records)
    if faulty.state != clean.state:
        problems.append(
            f"final state differs: clean {json.dumps(clean.state)[:300]} vs faulty "
            f"{json.dumps(faulty.state)[:300]}"
        )
    figures = summary_figures(faulty.log)
    path = duckdb_path or pathlib.Path(tempfile.mkdtemp(prefix="fault-campaign-")) / "c.duckdb"
    duplicates, differing = _compare_in_duckdb(path, clean, faulty, streams)
    return CampaignResult(
        days=days_count,
        streams=tuple(streams),
        rate=rate,
        seed=seed,
        parallel=parallel,
        faults=faults,
        requests=requests,
        retries=sum(f["retries"] for f in figures.values()),
        re_exports=sum(f["re_exports"] for f in figures.values()),
        clean_seconds=clean_seconds,
        faulty_seconds=faulty_seconds,
        records=sum(len(r) for r in faulty.records.values()),
        problems=problems,
        duplicate_keys=duplicates,
        differing_rows=differing,
        duckdb_path=str(path),
        error=None if faulty.error is None else str(faulty.error),
        faulty=faulty,
    )


def main(argv: t.Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rate", type=float, default=0.55, help="fraction of requests faulted")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--min-faults", type=int, default=1000)
    parser.add_argument("--duckdb", type=pathlib.Path, default=None, help="DuckDB file to keep")
    parser.add_argument(
        "--parallel", type=int, default=None, help="max_parallel_exports (default: the tap's)"
    )
    args = parser.parse_args(argv)
    result = run_campaign(
        days_count=args.days,
        rate=args.rate,
        seed=args.seed,
        duckdb_path=args.duckdb,
        parallel=args.parallel,
    )
    print(result.report())
    if result.total_faults < args.min_faults:
        print(f"  FAIL: fewer than {args.min_faults} faults injected")
        return 1
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
