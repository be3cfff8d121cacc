"""Suite-wide rule: secrets never appear in anything a test captured.

After each test (at teardown, whose report carries the output of setup, call and teardown)
its captured stdout, stderr and log output are scanned; tap runs made in-process or in a
subprocess scan their own output with `secret_scan.scan_for_secrets`.
"""

from __future__ import annotations

import typing as t

import pytest
from secret_scan import FINDINGS, SCANS, find_secrets

TESTS = [0]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> t.Iterator[None]:
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


def pytest_terminal_summary(terminalreporter: t.Any) -> None:
    terminalreporter.write_line(
        f"secret scan: {len(FINDINGS)} finding(s) in {SCANS[0]} scanned outputs of "
        f"{TESTS[0]} tests (captured output, records, state, errors)"
    )
