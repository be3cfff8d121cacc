"""Secret scanning shared by the whole suite (imported by conftest files and tests)."""

from __future__ import annotations

import re
import typing as t
import urllib.parse

if t.TYPE_CHECKING:
    from langdock_emulator import Emulator

TEST_API_KEY = "ld-test-key-SECRET-2f9c61"
SECRET_PATTERNS = (
    re.compile(re.escape(TEST_API_KEY)),
    re.compile(r"SECRET-[0-9a-f]{6}"),  # every key the suite makes up has this shape
    re.compile(r"Bearer\s+\S+"),
    re.compile(r"[?&](signature|expires)="),
    # The same query parameters once URL-encoded (e.g. a URL inside another URL or a repr).
    re.compile(r"(%3F|%26)(signature|expires)%3D", re.IGNORECASE),
    # Signing parameters of real presigned-URL stores (S3, GCS, Azure), in case a future
    # emulator or a live run signs like them.
    re.compile(r"X-(Amz|Goog)-(Signature|Credential)=", re.IGNORECASE),
    re.compile(r"[?&]sig=[A-Za-z0-9%/+]{16,}"),
)
FINDINGS: list[str] = []
SCANS = [0]
# Exact secret values learnt at run time (e.g. the signatures the emulator issued), so a value
# that escapes without its "signature=" prefix is still found.
KNOWN_SECRETS: set[str] = set()
_MIN_SECRET_LENGTH = 12
# Hex values (signatures) are looked up token by token: a campaign registers thousands of them.
_HEX_SECRETS: set[str] = set()
_HEX_TOKEN = re.compile(r"[0-9a-fA-F]{16,}")


def register_secret(value: str) -> None:
    """Treat ``value`` (and its URL-encoded form) as a secret in every later scan."""
    if not isinstance(value, str) or len(value) < _MIN_SECRET_LENGTH:
        return
    if _HEX_TOKEN.fullmatch(value):
        _HEX_SECRETS.add(value.lower())
        return
    KNOWN_SECRETS.add(value)
    KNOWN_SECRETS.add(urllib.parse.quote(value, safe=""))


def find_secrets(text: str) -> list[str]:
    """The secret-looking snippets in ``text``."""
    found = []
    for pattern in SECRET_PATTERNS:
        for match in pattern.finditer(text):
            start = max(match.start() - 40, 0)
            found.append(text[start : match.end() + 10].replace("\n", "\\n"))
    hits = [(text.find(value), value) for value in sorted(KNOWN_SECRETS)]
    if _HEX_SECRETS:
        hits += [
            (match.start(), match.group())
            for match in _HEX_TOKEN.finditer(text)
            if _holds_hex_secret(match.group().lower())
        ]
    for position, value in hits:
        if position >= 0:
            start = max(position - 40, 0)
            # Never echo the whole value into a report: show its position and a short prefix.
            found.append(f"{text[start:position]}{value[:6]}... (a registered secret value)")
    return found


def _holds_hex_secret(token: str) -> bool:
    """Whether a run of hex digits is, or (when longer) contains, a registered hex secret."""
    if token in _HEX_SECRETS:
        return True
    return len(token) > 64 and any(secret in token for secret in _HEX_SECRETS)


def scan_for_secrets(text: str, where: str) -> None:
    """Fail when ``text`` holds a secret; every scan is counted for the suite summary."""
    SCANS[0] += 1
    leaks = find_secrets(text)
    FINDINGS.extend(f"{where}: {snippet}" for snippet in leaks)
    assert not leaks, f"secret leaked in {where}: {leaks[:3]}"


class _Output(t.Protocol):
    """What `rescan` reads of a run (`tests.support.tap_runner.TapRun` has it)."""

    text: str
    log: str
    error: BaseException | None


def register_signatures(emu: Emulator) -> int:
    """Register the signature of every URL the emulator issued so far as a secret."""
    issued = emu.issued_files()
    for file in issued:
        register_secret(file.signature)
    return len(issued)


def rescan(emu: Emulator, *runs: _Output, where: str = "tap output") -> None:
    """Register the emulator's signatures, then scan the runs' output, log and errors again."""
    register_signatures(emu)
    for run in runs:
        scan_for_secrets(f"{run.text}\n{run.log}\n{run.error!s}", f"{where} (signatures)")
