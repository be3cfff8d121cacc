"""Deterministic audit-log entries over time: who changed what, when, and when it shows up.

Time is cut into 10-minute UTC slots; a slot's entries depend only on the seed and the slot's
number, so the log at any moment is a pure function of (seed, now) and any period can be
generated on its own. Every UTC midnight holds an entry exactly on the boundary, and every
noon two entries that share one ``created_at`` (ties are ordered by id), so range edges and
cursors over equal timestamps are always exercised. About one entry in eight appears late:
``lateness`` (0..1) times the log's late-arrival maximum after its ``created_at``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Any

from langdock_emulator.mixing import hash_ints

UTC = dt.timezone.utc
SLOT_SECONDS = 600
SLOTS_PER_DAY = 86_400 // SLOT_SECONDS
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
# Entries per slot, picked by the slot's hash: 1.5 on average, about 216 a day.
_COUNTS = (0, 0, 1, 1, 1, 2, 2, 3)
_ACTOR_TYPES = ("USER",) * 6 + ("API_KEY",) * 2 + ("SYSTEM", "SCIM")
_ENTITIES = ("agent", "user", "api_key", "workflow", "project", "workspace", "group")
_VERBS = ("created", "updated", "updated", "deleted")
_ADMINS = (
    "Anna Schmidt",
    'Zoë "Z" Müller, Jr.',
    "Renée O'Brien",
    "山田 太郎",
    "Jonas Weber",
    "  Ida KLEIN ",
)
_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/18.1 Safari/605",
)


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    """One entry as Langdock stores it; ``payload`` is what the API returns for it."""

    id: str
    created_at: dt.datetime
    lateness: float
    """Share of the late-arrival maximum after ``created_at`` until the entry shows up."""
    payload: dict[str, Any] = dataclasses.field(compare=False, repr=False)

    @property
    def key(self) -> tuple[dt.datetime, str]:
        """The sort key: ``created_at``, then ``id`` for equal timestamps."""
        return (self.created_at, self.id)

    def appears_at(self, late_max_seconds: float) -> dt.datetime:
        return self.created_at + dt.timedelta(seconds=self.lateness * late_max_seconds)


def format_instant(instant: dt.datetime) -> str:
    """``2026-05-04T09:12:33.120Z``: milliseconds and Z, as Langdock's docs show."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class AuditLogData:
    """Every entry the emulated workspace ever logs, generated a UTC day at a time."""

    def __init__(self, seed: int, workspace_id: str) -> None:
        self.seed = seed
        self.workspace_id = workspace_id
        self._by_id: dict[str, AuditEntry] = {}

    def between(self, start: dt.datetime, end: dt.datetime) -> list[AuditEntry]:
        """Entries with ``start <= created_at < end``, by (created_at, id)."""
        if end <= start:
            return []
        first_day = _day_number(start)
        last_day = _day_number(end - dt.timedelta(microseconds=1))
        found: list[AuditEntry] = []
        for day in range(first_day, last_day + 1):
            found.extend(e for e in self.day(day) if start <= e.created_at < end)
        return found

    def capped(self, entries: list[AuditEntry], per_day: int) -> list[AuditEntry]:
        """``entries`` less those beyond ``per_day`` of their UTC day; which stay is fixed
        by the seed (the lowest ids, which are hashes), so pages stay repeatable."""
        return [e for e in entries if e.id in self._kept(_day_number(e.created_at), per_day)]

    def _kept(self, day: int, per_day: int) -> frozenset[str]:
        return frozenset(sorted(e.id for e in self.day(day))[:per_day])

    def find(self, entry_id: str) -> AuditEntry | None:
        """An entry generated before (cursors name entries of pages already served)."""
        return self._by_id.get(entry_id)

    def day(self, day: int) -> tuple[AuditEntry, ...]:
        entries = _day_entries(self.seed, self.workspace_id, day)
        if entries and entries[0].id not in self._by_id:
            self._by_id.update((entry.id, entry) for entry in entries)
        return entries


def _day_number(instant: dt.datetime) -> int:
    return (instant.astimezone(UTC) - _EPOCH).days


@functools.lru_cache(maxsize=512)
def _day_entries(seed: int, workspace_id: str, day: int) -> tuple[AuditEntry, ...]:
    entries: list[AuditEntry] = []
    for slot in range(day * SLOTS_PER_DAY, (day + 1) * SLOTS_PER_DAY):
        entries.extend(_slot_entries(seed, workspace_id, slot))
    return tuple(sorted(entries, key=lambda e: e.key))


def _slot_entries(seed: int, workspace_id: str, slot: int) -> list[AuditEntry]:
    start_ms = slot * SLOT_SECONDS * 1000
    h = hash_ints(seed, 0xA0D17, slot)
    offsets = [hash_ints(h, i) % (SLOT_SECONDS * 1000) for i in range(_COUNTS[h & 7])]
    position = slot % SLOTS_PER_DAY
    if position == 0:
        offsets.append(0)  # exactly on the UTC day boundary
    elif position == SLOTS_PER_DAY // 2:
        tie = hash_ints(h, 99) % (SLOT_SECONDS * 1000)
        offsets += [tie, tie]  # two entries with one created_at
    return [
        _entry(seed, workspace_id, slot, index, start_ms + offset)
        for index, offset in enumerate(offsets)
    ]


def _entry(seed: int, workspace_id: str, slot: int, index: int, ms: int) -> AuditEntry:
    h = hash_ints(seed, 0xE27, slot, index)
    created = _EPOCH + dt.timedelta(milliseconds=ms)
    entry_id = f"al_{h:016x}{hash_ints(h, 1) & 0xFFFFFFFF:08x}"
    lateness = (hash_ints(h, 2) % 1000 + 1) / 1000 if h % 8 == 0 else 0.0
    actor_type = _ACTOR_TYPES[hash_ints(h, 3) % len(_ACTOR_TYPES)]
    kind = hash_ints(h, 4) % len(_ENTITIES)
    entity = _ENTITIES[kind]
    verb = _VERBS[hash_ints(h, 5) % len(_VERBS)]
    entity_id = f"{entity[:3]}_{hash_ints(seed, 0xE17, kind, hash_ints(h, 6) % 40):012x}"
    payload: dict[str, Any] = {
        "id": entry_id,
        "created_at": format_instant(created),
        **_actor(seed, h, actor_type),
        "action": f"{entity}.{verb}",
        "entity_type": entity,
        "entity_id": entity_id,
        "changes": _changes(h, verb, actor_type),
        "snapshot": None if verb == "deleted" else _snapshot(h, entity, entity_id, workspace_id),
    }
    return AuditEntry(entry_id, created, lateness, payload)


def _actor(seed: int, h: int, actor_type: str) -> dict[str, Any]:
    pick = hash_ints(h, 7)
    if actor_type == "USER":
        admin = pick % len(_ADMINS)
        ipv6 = pick % 5 == 0
        address = f"2001:DB8::{pick % 0xFFFF:X}" if ipv6 else f"10.{pick % 7}.{pick % 251}.{admin}"
        return {
            "actor_id": f"usr_{hash_ints(seed, 0x05E, admin):012x}",
            "actor_type": actor_type,
            "actor_name": _ADMINS[admin],
            "ip_address": address,
            "user_agent": _AGENTS[pick % len(_AGENTS)],
        }
    if actor_type == "API_KEY":
        return {
            "actor_id": f"key_{hash_ints(seed, 0x4E1, pick % 3):012x}",
            "actor_type": actor_type,
            "actor_name": f"Provisioning key {pick % 3 + 1}",
            "ip_address": f"192.0.2.{pick % 250 + 1}",
            "user_agent": "python-requests/2.32.3",
        }
    if actor_type == "SCIM":
        return {
            "actor_id": "scim",
            "actor_type": actor_type,
            "actor_name": "Okta SCIM",
            "ip_address": f"198.51.100.{pick % 250 + 1}",
            "user_agent": "Okta SCIM Client 1.0",
        }
    return {
        "actor_id": "system",
        "actor_type": actor_type,
        "actor_name": None,
        "ip_address": None,
        "user_agent": None,
    }


def _changes(h: int, verb: str, actor_type: str) -> dict[str, Any] | None:
    if actor_type == "SYSTEM" and hash_ints(h, 8) % 2 == 0:
        return None
    version = hash_ints(h, 9) % 20
    before = {"name": f"v{version}", "limits": {"monthly_usd": version * 10}, "tags": ["a"]}
    after = {"name": f"v{version + 1}", "limits": {"monthly_usd": None}, "tags": ["a", "b"]}
    if verb == "created":
        return {"before": None, "after": after}
    if verb == "deleted":
        return {"before": before, "after": None}
    return {"before": before, "after": after}


def _snapshot(h: int, entity: str, entity_id: str, workspace_id: str) -> dict[str, Any]:
    return {
        "id": entity_id,
        "type": entity,
        "workspace_id": workspace_id,
        "name": f"{entity.title()} {hash_ints(h, 10) % 100}",
        "enabled": hash_ints(h, 11) % 3 != 0,
        "settings": {"sharing": ["private", "workspace", "link"][hash_ints(h, 12) % 3]},
    }
