"""Crash and resume: SIGKILL at a random moment loses nothing; SIGTERM leaves a resumable state.

CI runs 5 SIGKILL trials through `tap-langdock | loader` (the loader in scripts/crash_resume.py
upserts on the key and saves the state at each STATE, as Meltano does) and, when Meltano is
installed, 1 trial through `meltano run tap-langdock target-duckdb` (marked slow). The full
20 trials through Meltano: `python scripts/crash_resume.py`.
"""

from __future__ import annotations

import json
import pathlib
import signal
import subprocess
import threading
import time
import typing as t

import pytest

from langdock_emulator import Emulator, Fault
from tests.robustness.campaigns.crash_resume import run_trials
from tests.support.contract import DEFAULT_STREAMS
from tests.support.records import keyed
from tests.support.secrets import TEST_API_KEY, register_signatures, scan_for_secrets
from tests.support.tap_runner import TAP_CLI, parse_messages, write_json

START, END = "2026-06-01", "2026-06-20"


def test_sigkill_at_random_moments_then_resume_equals_clean_run(tmp_path: pathlib.Path) -> None:
    campaign = run_trials(via="pipe", trials=5, days_count=15, seed=5, workdir=tmp_path / "pipe")
    print(campaign.report())
    assert campaign.kills == 5, campaign.report()
    assert all(trial.first_rc == -signal.SIGKILL for trial in campaign.trials)
    assert campaign.ok, campaign.report()


@pytest.mark.slow
def test_sigkill_through_meltano_then_resume_equals_clean_run(
    tmp_path: pathlib.Path, meltano_project: pathlib.Path
) -> None:
    # The suite's Meltano install: a project of the campaign's own would install the plugins
    # a second time.
    campaign = run_trials(
        via="meltano",
        trials=1,
        days_count=10,
        seed=8,
        workdir=tmp_path / "meltano",
        project=meltano_project,
    )
    print(campaign.report())
    assert campaign.kills == 1, campaign.report()
    assert campaign.ok, campaign.report()


# SIGTERM ------------------------------------------------------------------------------------


class Tap:
    """A `tap-langdock` subprocess whose stdout is read line by line as it comes."""

    def __init__(self, workdir: pathlib.Path, config: dict[str, t.Any], state: t.Any) -> None:
        command = [*TAP_CLI, "--config", str(write_json(workdir / "config.json", config))]
        if state is not None:
            command += ["--state", str(write_json(workdir / "state.json", state))]
        self.stderr_path = workdir / "stderr.log"
        self._stderr = self.stderr_path.open("w")
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._stderr, text=True
        )
        self.lines: list[str] = []
        self.states = 0
        self.reached = threading.Event()
        self._want_states = 10**9
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if line.startswith('{"type":"STATE"') or '"type": "STATE"' in line[:30]:
                self.states += 1
                if self.states >= self._want_states:
                    self.reached.set()
        self.reached.set()

    def after_states(self, count: int) -> None:
        self._want_states = count
        if self.states >= count:
            self.reached.set()

    def finish(self, timeout: float) -> tuple[int, str, str]:
        returncode = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        stdout, stderr = "".join(self.lines), self.stderr_path.read_text()
        scan_for_secrets(stdout, "SIGTERM run stdout")
        scan_for_secrets(stderr, "SIGTERM run stderr")
        return returncode, stdout, stderr


def _config(emu: Emulator, **extra: t.Any) -> dict[str, t.Any]:
    return {
        "api_key": TEST_API_KEY,
        "api_url": emu.url,
        "start_date": START,
        "end_date": END,
        "request_timeout": 10,
        **extra,
    }


def _first_requests(emu: Emulator, since: int) -> dict[str, str]:
    """First window each export type asked for in the requests from index ``since``."""
    first: dict[str, str] = {}
    for request in emu.export_requests[since:]:
        first.setdefault(request.export_type, (request.from_date or "")[:10])
    return first


EXPORT_TYPE = {
    "projects_usage": "projects",
    "users_usage": "users",
    "agents_usage": "agents",
    "api_keys_usage": "api-keys",
    "models_usage": "models",
}


@pytest.mark.parametrize(
    ("parallel", "states_before_signal"),
    [(1, 12), (4, 40)],
    ids=["sequential", "parallel"],
)
def test_sigterm_leaves_a_valid_state_the_next_run_continues_from(
    tmp_path: pathlib.Path, parallel: int, states_before_signal: int
) -> None:
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        clean_tap = Tap(tmp_path, _config(emu, max_parallel_exports=parallel), None)
        _, clean_out, _ = clean_tap.finish(timeout=120)
        clean = parse_messages(clean_out)
        emu.export_requests.clear()
        # Exports take a little while, so the signal lands in the middle of the backfill.
        emu.settings.export_latency_seconds = 0.01
        first = Tap(tmp_path, _config(emu, max_parallel_exports=parallel), None)
        first.after_states(states_before_signal)
        assert first.reached.wait(60)
        # Slower from here on, so the rest of the backfill cannot finish before the signal
        # lands, however long a busy machine takes to deliver it.
        emu.settings.export_latency_seconds = 0.2
        first.process.send_signal(signal.SIGTERM)
        began = time.monotonic()
        returncode, stdout, stderr = first.finish(timeout=60)
        stopped_in = time.monotonic() - began
        register_signatures(emu)
        scan_for_secrets(stdout + stderr, "SIGTERM run (signatures)")
        assert stopped_in < 20, f"the tap took {stopped_in:.1f} s to stop after SIGTERM"
        assert "Traceback" not in stderr, stderr[-3000:]
        lines = stdout.splitlines()
        assert lines, "no output before SIGTERM"
        last = json.loads(lines[-1])  # a whole, valid JSON line
        assert last["type"] == "STATE", lines[-1][:200]
        run = parse_messages(stdout)
        assert len(run.messages) == len(lines), "a line of output is not a whole message"
        state = last["value"]
        bookmarks = state.get("bookmarks", {})
        done = {s: bookmarks.get(s, {}).get("exported_through") for s in DEFAULT_STREAMS}
        assert any(done.values()), state
        assert not all(through == END for through in done.values()), "SIGTERM came too late"
        for stream, through in done.items():
            if through is None:
                continue
            # Every window up to the bookmark had all its rows emitted before the state.
            want = {
                k: v
                for k, v in keyed(clean.records[stream], stream).items()
                if v["window_end"] <= through
            }
            got = {
                k: v
                for k, v in keyed(run.records.get(stream, []), stream).items()
                if v["window_end"] <= through
            }
            assert got == want, stream
            assert bookmarks[stream]["window"] == "day"
            assert "progress_markers" not in bookmarks[stream]
        # The next run continues from that state: each stream at its bookmark's window (the
        # one lookback window) or at start_date; no gap, nothing else asked twice.
        emu.settings.export_latency_seconds = 0.0
        since = len(emu.export_requests)
        second = Tap(tmp_path, _config(emu, max_parallel_exports=parallel), state)
        returncode2, stdout2, _ = second.finish(timeout=120)
        assert returncode2 == 0
        first_asked = _first_requests(emu, since)
        for stream, through in done.items():
            expected = through or START  # lookback_windows=1: the bookmarked window again
            assert first_asked[EXPORT_TYPE[stream]] == expected, (stream, first_asked)
        resumed = parse_messages(stdout2)
        for stream in DEFAULT_STREAMS:
            combined = run.records.get(stream, []) + resumed.records.get(stream, [])
            assert keyed(combined, stream) == keyed(clean.records[stream], stream), stream
        assert resumed.state == clean.state
    print(f"SIGTERM: exit code {returncode}, stopped in {stopped_in:.2f} s, state {done}")


def test_sigterm_during_a_long_retry_wait_stops_promptly(tmp_path: pathlib.Path) -> None:
    """A 120 s Retry-After must not keep a stopping tap alive (sequential and parallel)."""
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        for parallel in (1, 4):
            emu.reset()
            emu.add_fault(Fault("rate_limit", retry_after="120", count=50))
            tap = Tap(tmp_path, _config(emu, max_parallel_exports=parallel), None)
            deadline = time.monotonic() + 30
            while not emu.export_requests and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)  # the tap is now waiting out Retry-After
            tap.process.send_signal(signal.SIGTERM)
            began = time.monotonic()
            _, stdout, stderr = tap.finish(timeout=60)
            # Far below the 120 s wait, generous for a busy machine to stop a process.
            assert time.monotonic() - began < 20, parallel
            assert "Traceback" not in stderr
            run = parse_messages(stdout)
            assert not run.records
            assert all(
                "exported_through" not in s.get("bookmarks", {}).get(stream, {})
                for s in run.states
                for stream in DEFAULT_STREAMS
            )
