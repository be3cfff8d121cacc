"""Helpers of the audit_logs tests: a settable clock, configs, ground truth, record checks."""

from __future__ import annotations

import datetime as dt
import typing as t
from collections import Counter

from langdock_emulator import Emulator
from tests.support.secrets import TEST_API_KEY

UTC = dt.timezone.utc
# A fixed "now" (a Monday noon): far enough from today that nothing depends on the real date.
AUDIT_NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
START_DATE = "2026-06-12"
START = dt.datetime(2026, 6, 12, tzinfo=UTC)
# A key of its own for the Audit Logs API (same shape as the suite's keys: the scan finds it).
AUDIT_KEY = "ld-audit-key-SECRET-a11d0c"


class Clock:
    """A settable "now"; calling it returns the current value."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def audit_config(emu: Emulator, **overrides: t.Any) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "api_key": TEST_API_KEY,
        "api_url": emu.url,
        "start_date": START_DATE,
        "workspace_id": emu.audit.workspace_id,
        "request_timeout": 5,
        # The real limiter would hold small-page runs for minutes; test_audit_stream.py checks
        # that every request takes a slot.
        "max_requests_per_minute": 1_000_000,
    }
    config.update(overrides)
    return config


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def truth(
    emu: Emulator, end: dt.datetime | str, start: dt.datetime = START
) -> dict[str, dict[str, t.Any]]:
    """The emulator's entries with start <= created_at < end, shown at its clock, by id."""
    if isinstance(end, str):
        end = instant(end)
    return {entry["id"]: entry for entry in emu.audit.truth(start, end)}


def by_id(records: t.Iterable[dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    """Records keyed by id, as an upserting warehouse keeps them (the last one wins)."""
    return {record["id"]: record for record in records}


def duplicates(records: t.Iterable[dict[str, t.Any]]) -> list[str]:
    return [key for key, count in Counter(r["id"] for r in records).items() if count > 1]


def same_entry(record: dict[str, t.Any], entry: dict[str, t.Any]) -> bool:
    """Whether a record holds exactly the entry Langdock served (pii=keep)."""
    fields = {k: v for k, v in record.items() if k not in ("created_at", "workspace_id")}
    fields.pop("_extra_fields")
    served = {k: v for k, v in entry.items() if k != "created_at"}
    return fields == served and instant(record["created_at"]) == instant(entry["created_at"])
