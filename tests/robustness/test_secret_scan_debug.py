"""No secret in any output, on failure paths and at DEBUG log level.

Every run here is the real command line with ``TAP_LANGDOCK_LOGLEVEL=DEBUG`` (and the SDK's
``LOGLEVEL=DEBUG``); its stdout (records, state) and stderr (logs, errors) are scanned for the
API key, ``Bearer`` values, signed-URL query strings, and the exact signature values the
emulator issued during the run (registered with tests.support.secrets.register_secret).

Also checked here: the suite-wide hook in tests/conftest.py, run on a small suite of its own.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import typing as t

import pytest

from langdock_emulator import Emulator, Fault
from tests.support.secrets import (
    TEST_API_KEY,
    find_secrets,
    register_secret,
    register_signatures,
    scan_for_secrets,
)
from tests.support.tap_runner import TAP_CLI, CliRun, only_streams_catalog, run_cli, write_json

TESTS = pathlib.Path(__file__).resolve().parents[1]
DEBUG = {"TAP_LANGDOCK_LOGLEVEL": "DEBUG", "LOGLEVEL": "DEBUG"}


def _config(emu: Emulator, **extra: t.Any) -> dict[str, t.Any]:
    return {
        "api_key": TEST_API_KEY,
        "api_url": emu.url,
        "start_date": "2026-03-01",
        "end_date": "2026-03-02",
        "request_timeout": 5,
        **extra,
    }


def _debug_run(
    tmp_path: pathlib.Path,
    emu: Emulator,
    config: dict[str, t.Any],
    *,
    logs_debug: bool = True,
    **kwargs: t.Any,
) -> CliRun:
    cli = run_cli(tmp_path, config, env=DEBUG, **kwargs)
    register_signatures(emu)
    scan_for_secrets(cli.stdout, "DEBUG run stdout (signatures)")
    scan_for_secrets(cli.stderr, "DEBUG run stderr (signatures)")
    # A settings error stops the tap before anything is logged at DEBUG.
    assert not logs_debug or "DEBUG" in cli.stderr, "the run did not log at DEBUG"
    assert TEST_API_KEY not in cli.stdout + cli.stderr
    return cli


# Grouped so no window meets more than the tap's per-window limits (3 fresh signed URLs,
# 3 bad answers, 2 bad files); each group must end in a complete, successful run.
RECOVERABLE = {
    "transient": [
        Fault("rate_limit", retry_after="0"),
        Fault("server_error", status=500),
        Fault("server_error", status=502),
        Fault("reset"),
        Fault("download_reset"),
        Fault("truncate"),
        Fault("slow", delay=2),
    ],
    "refused-and-bad-answers": [
        Fault("expired_url"),
        Fault("storage_403"),
        Fault("not_json"),
        Fault("html_error", status=200),
        Fault("success_false"),
    ],
    "bad-urls-and-files": [
        Fault("missing_download_url"),
        Fault("bad_download_url"),
        Fault("csv_ragged"),
        Fault("csv_nul"),
    ],
    "bad-files": [Fault("csv_invalid_utf8"), Fault("record_count_mismatch")],
}


@pytest.mark.parametrize("group", list(RECOVERABLE))
def test_recovered_faults_at_debug(tmp_path: pathlib.Path, group: str) -> None:
    faults = RECOVERABLE[group]
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        emu.settings.extra_column = True
        emu.settings.bom = True
        for fault in faults:
            emu.add_fault(fault)
        catalog = only_streams_catalog(tmp_path, ["projects_usage", "users_usage"])
        cli = _debug_run(tmp_path, emu, _config(emu, request_timeout=1), catalog=catalog)
        assert cli.returncode == 0, cli.stderr[-3000:]
        assert len(emu.fault_log) == len(faults)
        if any(fault.kind == "slow" for fault in faults):
            time.sleep(2.0)  # let the slow answer's handler finish before the emulator closes


def test_gzip_storage_at_debug(tmp_path: pathlib.Path) -> None:
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        emu.settings.gzip = True
        emu.add_fault(Fault("truncate"))
        cli = _debug_run(tmp_path, emu, _config(emu))
        assert cli.returncode == 0, cli.stderr[-3000:]


@pytest.mark.parametrize(
    ("fault", "extra", "expected"),
    [
        (Fault("unauthorized", count=50), {}, "Langdock rejected the API key (HTTP 401"),
        (Fault("forbidden", count=50), {}, "Langdock rejected the API key (HTTP 403"),
        (Fault("too_large", count=50), {}, "a shorter window does not help"),
        (
            Fault("server_error", status=503, count=500),
            {"max_retry_seconds": 1},
            "retry budget (max_retry_seconds=1) ran out",
        ),
        (Fault("expired_url", count=50), {}, "refused the download link (HTTP 403)"),
        (Fault("storage_403", count=50), {}, "refused the download link (HTTP 403)"),
        (Fault("bad_download_url", count=50), {}, "data.downloadUrl is not an http(s) URL"),
        (Fault("csv_missing_key_column", count=50), {}, "the header lacks key column(s)"),
        (Fault("csv_non_numeric", count=50), {}, "is not a whole number"),
    ],
    ids=lambda value: value.kind if isinstance(value, Fault) else None,
)
def test_fatal_errors_at_debug(
    tmp_path: pathlib.Path, fault: Fault, extra: dict[str, t.Any], expected: str
) -> None:
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        emu.add_fault(fault)
        cli = _debug_run(tmp_path, emu, _config(emu, **extra))
        assert cli.returncode == 1
        assert any(expected in line for line in cli.error_lines), cli.stderr[-3000:]
        assert "Traceback" not in cli.stderr


def test_unreachable_and_bad_settings_at_debug(tmp_path: pathlib.Path) -> None:
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        url = emu.url
        for change in (
            {"timezone": "Mars/Olympus"},
            {"api_url": "http://langdock.example.com"},
            {"api_url": f"{url}/?token={TEST_API_KEY}"},
            {"lookback_windows": -3},
            {"request_timeout": 0},
        ):
            cli = _debug_run(tmp_path, emu, {**_config(emu), **change}, logs_debug=False)
            assert cli.returncode == 1
            assert cli.error_lines
        assert emu.export_requests == []
    # Nothing listens at the URL any more.
    cli = run_cli(tmp_path, {**_config(emu), "api_url": url}, env=DEBUG)
    assert cli.returncode == 1
    assert any("cannot connect to" in line for line in cli.error_lines), cli.stderr[-2000:]


def test_about_discover_and_sigterm_at_debug(tmp_path: pathlib.Path) -> None:
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        config = write_json(tmp_path / "config.json", _config(emu, end_date="2026-03-20"))
        for args in (["--about"], ["--discover"]):
            done = subprocess.run(
                [*TAP_CLI, "--config", str(config), *args],
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, **DEBUG},
                check=False,
            )
            scan_for_secrets(done.stdout + done.stderr, f"tap {args[0]} at DEBUG")
            assert done.returncode == 0
        emu.settings.export_latency_seconds = 0.02
        process = subprocess.Popen(
            [*TAP_CLI, "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **DEBUG},
        )
        deadline = time.monotonic() + 30
        while len(emu.download_requests) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
        register_signatures(emu)
        scan_for_secrets(stdout, "SIGTERM at DEBUG stdout")
        scan_for_secrets(stderr, "SIGTERM at DEBUG stderr")
        assert "DEBUG" in stderr


# The scanner itself -------------------------------------------------------------------------


def test_registered_signature_values_are_found_without_their_prefix() -> None:
    value = "9f" * 32
    assert not find_secrets(f"digest {value}")
    register_secret(value)
    assert find_secrets(f"url was /storage/x.csv (sig {value})")
    assert find_secrets("...%3Fexpires%3D123%26signature%3Dabc")
    assert find_secrets("https://bucket.s3.amazonaws.com/k?X-Amz-Signature=abcdef")
    assert not find_secrets("period_end=2026-03-01 signature of nothing")


# The suite-wide hook --------------------------------------------------------------------------

_INNER_TESTS = """
import pytest
from tests.support.secrets import TEST_API_KEY


@pytest.fixture
def noisy_teardown():
    yield
    print("teardown says", TEST_API_KEY)


@pytest.fixture
def noisy_setup():
    print("setup says", TEST_API_KEY)


def test_silent():
    pass


def test_prints():
    print("hello")


def test_leaks_in_call():
    print("call says", TEST_API_KEY)


def test_leaks_in_setup(noisy_setup):
    pass


def test_leaks_in_teardown(noisy_teardown):
    pass
"""


def _inner_suite(tmp_path: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A `tests` package of its own (the real conftest.py and support/), found before the
    # repository's because pytest puts ``suite`` first on the path; run from suite/tests so
    # the summary names the tests relative to it, as the assertions expect.
    suite = tmp_path / "inner"
    package = suite / "tests"
    shutil.copytree(
        TESTS / "support", package / "support", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(TESTS / "__init__.py", package / "__init__.py")
    shutil.copy(TESTS / "conftest.py", package / "conftest.py")
    (package / "test_inner.py").write_text(_INNER_TESTS)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rA",
            *args,
            str(package),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=package,
        check=False,
    )


def test_hook_fails_tests_that_leak_in_setup_or_call_and_prints_the_summary(
    tmp_path: pathlib.Path,
) -> None:
    result = _inner_suite(tmp_path)
    out = result.stdout
    # The hook judges at teardown, whose report carries all three phases' output: a leak
    # turns the test's teardown into an error, whichever phase printed it.
    assert "ERROR test_inner.py::test_leaks_in_call - secret leaked" in out
    assert "ERROR test_inner.py::test_leaks_in_setup - secret leaked" in out
    assert "PASSED test_inner.py::test_silent" in out
    assert result.returncode != 0
    assert "secret scan: " in out


def test_hook_also_scans_teardown_and_counts_every_test(tmp_path: pathlib.Path) -> None:
    result = _inner_suite(tmp_path)
    summary = next(line for line in result.stdout.splitlines() if "secret scan: " in line)
    scanned = int(summary.split(" in ")[1].split()[0])
    out = result.stdout
    assert "test_inner.py::test_leaks_in_teardown - secret leaked" in out, out[-2000:]
    assert scanned >= 5, summary  # at least one per test


def test_the_summary_adds_up_the_xdist_workers(tmp_path: pathlib.Path) -> None:
    # `make test` runs on xdist workers: the controller prints the sum of theirs.
    result = _inner_suite(tmp_path, "-n", "2", "--dist", "loadgroup")
    summary = next(line for line in result.stdout.splitlines() if "secret scan: " in line)
    findings = int(summary.split("secret scan: ")[1].split()[0])
    scanned = int(summary.split(" in ")[1].split()[0])
    tests = int(summary.split(" of ")[1].split()[0])
    assert "test_inner.py::test_leaks_in_teardown - secret leaked" in result.stdout
    assert result.returncode != 0
    assert tests == 5, summary
    assert findings >= 3, summary  # the three leaking tests, each in one section or more
    assert scanned >= 5, summary
