"""The command line as users and Meltano run it: one clear line on errors, no requests for bad
settings, no secrets in any output even at DEBUG."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import typing as t

import pytest
from secret_scan import TEST_API_KEY, scan_for_secrets
from tap_support import tap_config

from langdock_emulator import Emulator, Fault

TAP = [sys.executable, "-m", "tap_langdock"]


def run_cli(
    tmp_path: pathlib.Path,
    config: dict[str, t.Any],
    *args: str,
    state: dict[str, t.Any] | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    command = [*TAP, "--config", str(config_file), *args]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        command += ["--state", str(state_file)]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )
    scan_for_secrets(result.stdout, "CLI stdout")
    scan_for_secrets(result.stderr, "CLI stderr")
    return result


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| ERROR" in line or line.startswith("ERROR")]


BAD_SETTINGS = [
    ({"start_date": "31.01.2025"}, "Setting start_date ('31.01.2025') is not a date"),
    ({"timezone": "Berlin"}, "Setting timezone ('Berlin') is not an IANA time zone name"),
    ({"window": "fortnight"}, "Setting window ('fortnight') is not one of day, week, month"),
    ({"lookback_windows": -2}, "Setting lookback_windows (-2) is below 0"),
    ({"end_date": "2025-02-01"}, "Setting end_date (2025-02-01) is before start_date"),
    ({"api_key": ""}, "Setting api_key is missing or empty"),
    ({"api_url": "http://langdock.example.com"}, "uses plain http to a non-loopback host"),
]


@pytest.mark.parametrize(("change", "expected"), BAD_SETTINGS)
def test_bad_setting_stops_before_any_request(
    tmp_path: pathlib.Path, emulator: Emulator, change: dict[str, t.Any], expected: str
) -> None:
    result = run_cli(tmp_path, {**tap_config(emulator), **change})
    assert result.returncode != 0
    errors = error_lines(result.stderr)
    assert any(expected in line for line in errors), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert emulator.export_requests == []


def test_missing_api_key_is_named(tmp_path: pathlib.Path, emulator: Emulator) -> None:
    config = tap_config(emulator)
    del config["api_key"]
    result = run_cli(tmp_path, config)
    assert result.returncode != 0
    assert "api_key" in result.stderr
    assert emulator.export_requests == []


def test_rejected_key_is_one_line_without_traceback(
    tmp_path: pathlib.Path, emulator: Emulator
) -> None:
    emulator.add_fault(Fault("unauthorized"))
    result = run_cli(tmp_path, tap_config(emulator, end_date="2025-03-01"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = error_lines(result.stderr)[-1]
    assert "agents_usage, window 2025-03-01 (UTC): Langdock rejected the API key" in last
    assert "USAGE_EXPORT_API scope" in last


def test_debug_logging_leaks_nothing(tmp_path: pathlib.Path, emulator: Emulator) -> None:
    emulator.add_fault(Fault("download_reset"))
    emulator.add_fault(Fault("expired_url"))
    result = run_cli(
        tmp_path,
        tap_config(emulator, end_date="2025-03-02"),
        env={"TAP_LANGDOCK_LOGLEVEL": "DEBUG", "LOGLEVEL": "DEBUG"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "DEBUG" in result.stderr
    assert TEST_API_KEY not in result.stderr + result.stdout


def test_about_and_discover_work_without_config() -> None:
    about = subprocess.run(
        [*TAP, "--about", "--format=json"], capture_output=True, text=True, check=True, timeout=60
    )
    settings = set(json.loads(about.stdout)["settings"]["properties"])
    assert {
        "api_key",
        "api_url",
        "start_date",
        "end_date",
        "timezone",
        "window",
        "lookback_windows",
        "pii",
    } <= settings
    discover = subprocess.run(
        [*TAP, "--discover"], capture_output=True, text=True, check=True, timeout=60
    )
    streams = {s["tap_stream_id"] for s in json.loads(discover.stdout)["streams"]}
    assert "projects_usage" in streams
    assert len(streams) == 12  # eleven usage exports and audit_logs
