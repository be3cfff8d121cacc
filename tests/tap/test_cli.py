"""The command line as users and Meltano run it: one clear line on errors, no requests for bad
settings, no secrets in any output even at DEBUG."""

from __future__ import annotations

import json
import pathlib
import subprocess
import typing as t

import pytest

from langdock_emulator import Emulator, Fault
from tests.support.contract import CONTRACT_SETTINGS, STREAM_NAMES
from tests.support.secrets import TEST_API_KEY
from tests.support.tap_runner import TAP_CLI, only_streams_catalog, run_cli, tap_config


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
    # Streams sync default-selected first, in a documented order: projects_usage leads.
    assert "projects_usage, window 2025-03-01 (UTC): Langdock rejected the API key" in last
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
        [*TAP_CLI, "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    settings = set(json.loads(about.stdout)["settings"]["properties"])
    assert set(CONTRACT_SETTINGS) <= settings
    discover = subprocess.run(
        [*TAP_CLI, "--discover"], capture_output=True, text=True, check=True, timeout=60
    )
    streams = {s["tap_stream_id"] for s in json.loads(discover.stdout)["streams"]}
    assert "projects_usage" in streams
    assert len(streams) == 14  # eleven exports, the audit log and the two workflow streams


def test_test_flag_syncs_one_record_per_stream(tmp_path: pathlib.Path, emulator: Emulator) -> None:
    """`--test` (the `test` capability in --about): one record of each stream, then stop."""
    config = {
        "api_key": TEST_API_KEY,
        "api_url": emulator.url,
        "start_date": "2025-03-01",
        "end_date": "2025-03-05",
        "max_parallel_exports": 1,
    }
    result = run_cli(tmp_path, config, args=("--test",))
    assert result.returncode == 0, result.stderr[-2000:]
    records = [json.loads(line) for line in result.stdout.splitlines() if '"RECORD"' in line]
    streams = [record["stream"] for record in records]
    assert sorted(streams) == sorted(set(streams))
    assert "projects_usage" in streams
    # One window each (two where the first had no data), then the next stream: not all five.
    assert (
        max((request.from_date or "")[:10] for request in emulator.export_requests) <= "2025-03-02"
    )


def _bookmarks(stdout: str) -> dict[str, t.Any]:
    states = [json.loads(line) for line in stdout.splitlines() if '"STATE"' in line]
    return t.cast("dict[str, t.Any]", states[-1]["value"]["bookmarks"]) if states else {}


def test_everything_selected_in_a_workspace_without_byok(
    tmp_path: pathlib.Path, emulator: Emulator
) -> None:
    config = tap_config(emulator, start_date="2025-03-01", end_date="2025-03-02")
    catalog = only_streams_catalog(tmp_path, STREAM_NAMES)  # meltano select ... "*.*"
    result = run_cli(tmp_path, config, catalog=catalog)
    assert result.returncode == 0, result.stderr[-3000:]
    warnings = [line for line in result.stderr.splitlines() if "does not offer this export" in line]
    assert len(warnings) == 1
    assert "models_usage_by_deployment" in warnings[0]
    assert "deselect the stream, or enable BYOK" in warnings[0]
    loaded = {
        json.loads(line)["stream"] for line in result.stdout.splitlines() if '"RECORD"' in line
    }
    assert loaded == set(STREAM_NAMES) - {"models_usage_by_deployment"}
    bookmarks = _bookmarks(result.stdout)
    assert "models_usage_by_deployment" not in bookmarks or not bookmarks[
        "models_usage_by_deployment"
    ].get("exported_through")


def test_one_failing_stream_costs_the_others_nothing(
    tmp_path: pathlib.Path, emulator: Emulator
) -> None:
    emulator.add_fault(Fault("csv_missing_key_column", export_type="users", count=10_000))
    config = tap_config(emulator, start_date="2025-03-01", end_date="2025-03-03")
    result = run_cli(tmp_path, config)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = error_lines(result.stderr)
    assert "1 of 5 selected stream(s) ended early" in errors[-2]
    assert "users_usage, window 2025-03-01 (UTC): the header lacks key column(s)" in errors[-1]
    assert "(still after 3 export(s)). No row of this window was emitted" in errors[-1]
    bookmarks = _bookmarks(result.stdout)
    for name in ("projects_usage", "agents_usage", "api_keys_usage", "models_usage"):
        assert bookmarks[name]["exported_through"] == "2025-03-03", name
    assert not bookmarks.get("users_usage", {}).get("exported_through")


def test_rejected_key_stops_the_run_after_one_request(
    tmp_path: pathlib.Path, emulator: Emulator
) -> None:
    config = tap_config(emulator, start_date="2025-03-01", end_date="2025-03-20")
    config["api_key"] = "not-the-key"
    result = run_cli(tmp_path, {**config, "max_parallel_exports": 4})
    assert result.returncode == 1
    assert len(emulator.export_requests) == 1
    assert "Langdock rejected the API key (HTTP 401" in error_lines(result.stderr)[-1]
    assert "ended early" not in result.stderr
