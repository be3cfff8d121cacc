"""Secret scanning shared by the whole suite (imported by conftest files and tests)."""

from __future__ import annotations

import re

TEST_API_KEY = "ld-test-key-SECRET-2f9c61"
SECRET_PATTERNS = (
    re.compile(re.escape(TEST_API_KEY)),
    re.compile(r"SECRET-[0-9a-f]{6}"),  # every key the suite makes up has this shape
    re.compile(r"Bearer\s+\S+"),
    re.compile(r"[?&](signature|expires)="),
)
FINDINGS: list[str] = []
SCANS = [0]


def find_secrets(text: str) -> list[str]:
    """The secret-looking snippets in ``text``."""
    found = []
    for pattern in SECRET_PATTERNS:
        for match in pattern.finditer(text):
            start = max(match.start() - 40, 0)
            found.append(text[start : match.end() + 10].replace("\n", "\\n"))
    return found


def scan_for_secrets(text: str, where: str) -> None:
    """Fail when ``text`` holds a secret; every scan is counted for the suite summary."""
    SCANS[0] += 1
    leaks = find_secrets(text)
    FINDINGS.extend(f"{where}: {snippet}" for snippet in leaks)
    assert not leaks, f"secret leaked in {where}: {leaks[:3]}"
