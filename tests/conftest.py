"""Suite-wide rule: secrets never appear in anything a test captured; the shared fixtures.

After each test (at teardown, whose report carries the output of setup, call and teardown)
its captured stdout, stderr and log output are scanned; tap runs made in-process or in a
subprocess scan their own output with `tests.support.secrets.scan_for_secrets`.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import pluggy
import pytest

from langdock_emulator import Emulator
from tests.support.clock import FakeClock, fake_clock
from tests.support.meltano_project import installed_project
from tests.support.secrets import FINDINGS, SCANS, TEST_API_KEY, find_secrets, rescan
from tests.support.workers import assign_groups, lost_groups, shared_meltano_project

TESTS = [0]
LOST_GROUPS = pytest.StashKey["str | None"]()
# Counts of the xdist workers, summed in the controller as each worker ends.
WORKER_COUNTS = {"findings": 0, "scans": 0, "tests": 0}


@pytest.hookimpl(tryfirst=True)  # before xdist turns the groups into node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    assign_groups(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config.stash[LOST_GROUPS] = lost_groups(session.config, session.items)


def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = item.config.stash.get(LOST_GROUPS, None)
    if reason and item.get_closest_marker("xdist_group") is not None:
        pytest.fail(reason, pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> t.Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "teardown":
        return
    TESTS[0] += 1
    SCANS[0] += 1
    leaks = [
        f"[{name}]: {leak}" for name, content in report.sections for leak in find_secrets(content)
    ]
    if leaks:
        FINDINGS.extend(f"{item.nodeid} {leak}" for leak in leaks)
        report.outcome = "failed"
        report.longrepr = f"secret leaked in captured output: {leaks[:3]}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    output = getattr(session.config, "workeroutput", None)
    if output is not None:  # an xdist worker: the controller prints the sums
        output["secret_scan"] = {"findings": len(FINDINGS), "scans": SCANS[0], "tests": TESTS[0]}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: t.Any, error: object) -> None:
    counts = getattr(node, "workeroutput", {}).get("secret_scan", {})
    for name in WORKER_COUNTS:
        WORKER_COUNTS[name] += counts.get(name, 0)


def pytest_terminal_summary(terminalreporter: t.Any) -> None:
    findings = len(FINDINGS) + WORKER_COUNTS["findings"]
    scans = SCANS[0] + WORKER_COUNTS["scans"]
    tests = TESTS[0] + WORKER_COUNTS["tests"]
    terminalreporter.write_line(
        f"secret scan: {findings} finding(s) in {scans} scanned outputs of "
        f"{tests} tests (captured output, records, state, errors)"
    )


@pytest.fixture
def clock() -> t.Iterator[FakeClock]:
    """The fake retry clock, installed in `tap_langdock.retries` for the test."""
    with fake_clock() as installed:
        yield installed


@pytest.fixture
def emulator() -> t.Iterator[Emulator]:
    """A fresh emulator (seed 7) accepting the suite's test key, checked at teardown."""
    with Emulator(api_key=TEST_API_KEY, seed=7) as emu:
        yield emu
        rescan(emu, where="emulator teardown")
        assert emu.storage_saw_authorization == 0, "the API key reached the storage host"


@pytest.fixture(scope="session")
def meltano_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary Meltano project (the repo's meltano.yml and transform/) with its plugins,
    installed once per test run for every folder (and xdist worker) that runs Meltano."""
    return shared_meltano_project(tmp_path_factory, installed_project)


@pytest.fixture(scope="session")
def isolated_meltano_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same installed project, for callers whose every Meltano run has a system directory
    of its own (the Dagster code location sets MELTANO_SYS_DIR_ROOT per run): they share no
    ``.meltano/run/``, so they need not queue behind the other Meltano tests on one worker."""
    return shared_meltano_project(tmp_path_factory, installed_project)
