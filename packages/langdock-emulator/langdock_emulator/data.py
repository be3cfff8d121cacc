"""Deterministic usage data, the export rows derived from it, and an independent ground truth.

Usage is a count per (export type, entity, 15-minute UTC bucket). Every IANA offset is a
multiple of 15 minutes, so any local window maps onto whole buckets and sums stay exact.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterator, Sequence

from langdock_emulator.columns import (
    CANONICAL_TYPE,
    EXTRA_COLUMN,
    GROUP_COLUMNS,
    ID_COLUMNS,
    NAME_COLUMN,
    PRIMARY_COUNT_COLUMN,
    columns_for,
)
from langdock_emulator.dates import UTC, Window
from langdock_emulator.settings import WorkspaceSettings

BUCKET_SECONDS = 900
BUCKETS_PER_HOUR = 4
BUCKETS_PER_DAY = 96
_BUCKET_US = BUCKET_SECONDS * 1_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = dt.date(1970, 1, 1)

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15

# Stable per type so that adding a type never shifts another type's data.
_TYPE_CODE = {"projects": 1, "users": 2, "agents": 3, "api-keys": 4, "models": 5, "workflows": 6}
# Upper bound of a non-zero bucket; api-keys and models see machine traffic, workflows few runs.
_SCALE = {"projects": 6, "users": 8, "agents": 5, "api-keys": 40, "models": 60, "workflows": 2}

MODEL_CATALOG: tuple[tuple[str, str], ...] = (
    ("gpt-4o", "openai"),
    ("claude-sonnet-4", "anthropic"),
    ("mistral-large", "mistral"),
    ("gpt-4.1", "openai"),
    ("gemini-2.5-pro", "google"),
    ("claude-3-5-haiku", "anthropic"),
    ("o3-mini", "openai"),
    ("llama-3.3-70b", "meta"),
    ("gpt-4o-mini", "openai"),
    ("codestral", "mistral"),
)
GROUP_VALUES: dict[str, tuple[str, ...]] = {
    "model": ("gpt-4o", "claude-sonnet-4", "mistral-large", "gemini-2.5-pro", "o3-mini"),
    "source": ("WEB", "MOBILE", "API", "SLACK"),
    "deployment": ("azure-eu-1", "openai-direct", "bedrock-eu-central-1"),
}
_ACTIONS = ("Jira_Search for issues", "Confluence_Search", "Web_Search", "SharePoint_Get file")
_FIRST = ("Anna", "Ben", "Carla", "David", "Elif", "Felix", "Greta", "Hannes", "Ida", "Jonas")
_LAST = ("Schmidt", "Meyer", "Weber", "Fischer", "Wagner", "Becker", "Hoffmann", "Koch", "Klein")
_TOPICS = ("Sales", "Legal", "Research", "Support", "Marketing", "Finance", "HR", "Engineering")
_DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "Research & Development", "")
_TRICKY_USERS = (
    'Zoë "Z" Müller, Jr.',
    "Renée\nO'Brien",
    'Łukasz, "Luke"\r\nKowalski',
    "山田 太郎",
)
_LABEL = {
    "projects": "Project",
    "users": "User",
    "agents": "Agent",
    "api-keys": "Key",
    "models": "Model",
    "workflows": "Workflow",
}
MAX_ROWS = 1_000_000


def _mix(x: int) -> int:
    """splitmix64 step: cheap, well distributed, and identical on every platform and run."""
    x = (x + _GOLDEN) & _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def hash_ints(*parts: int) -> int:
    h = 0x243F6A8885A308D3
    for part in parts:
        h = _mix(h ^ (part & _M64))
    return h


@functools.lru_cache(maxsize=256)
def _hash_text(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class _Rng:
    """A splitmix64 stream; ``random.Random`` would tie output to CPython's algorithm."""

    def __init__(self, *parts: int) -> None:
        self._state = hash_ints(*parts)

    def next(self) -> int:
        self._state = (self._state + _GOLDEN) & _M64
        return _mix(self._state)

    def below(self, n: int) -> int:
        return self.next() % n if n > 0 else 0

    def between(self, low: int, high: int) -> int:
        return low + self.below(high - low + 1)

    def partition(self, total: int, parts: int) -> list[int]:
        """``parts`` non-negative integers summing to ``total``."""
        cuts = sorted(self.below(total + 1) for _ in range(parts - 1))
        bounds = [0, *cuts, total]
        return [bounds[i + 1] - bounds[i] for i in range(parts)]


# --- the usage primitive -------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def entity_base(seed: int, canonical_type: str, index: int) -> int:
    return hash_ints(seed, _TYPE_CODE[canonical_type], index)


def day_active(base: int, day: int) -> bool:
    # One in five entities is "lazy" and sits idle on most days.
    idle_pct = 75 if (base >> 8) % 5 == 0 else 15
    return _mix(base ^ ((day * 0xD6E8FEB86659FD93) & _M64)) % 100 >= idle_pct


def hour_active(base: int, hour: int) -> bool:
    hour_of_day = hour % 24
    busy_pct = 55 if 7 <= hour_of_day < 18 else 10
    return _mix(base ^ ((hour * 0xA0761D6478BD642F + 1) & _M64)) % 100 < busy_pct


def bucket_value(base: int, bucket: int, scale: int) -> int:
    roll = _mix(base ^ ((bucket * 0xE7037ED1A0B428DB + 2) & _M64))
    if roll % 5 == 0:
        return 0
    return 1 + (roll >> 8) % scale


def bucket_count(seed: int, canonical_type: str, index: int, bucket: int) -> int:
    """Usage of one entity in one 15-minute bucket, ignoring quiet days."""
    base = entity_base(seed, canonical_type, index)
    if not day_active(base, bucket // BUCKETS_PER_DAY):
        return 0
    if not hour_active(base, bucket // BUCKETS_PER_HOUR):
        return 0
    return bucket_value(base, bucket, _SCALE[canonical_type])


def _micros(value: dt.datetime) -> int:
    return (value - _EPOCH) // dt.timedelta(microseconds=1)


def bucket_range(from_utc: dt.datetime, to_utc: dt.datetime) -> range:
    """Indices of the buckets whose start t satisfies from_utc <= t <= to_utc."""
    first = -(-_micros(from_utc) // _BUCKET_US)
    last = _micros(to_utc) // _BUCKET_US
    return range(first, last + 1)


def _quiet_day_numbers(quiet_days: set[str]) -> frozenset[int]:
    numbers = set()
    for text in quiet_days:
        try:
            numbers.add((dt.date.fromisoformat(text) - _EPOCH_DATE).days)
        except ValueError:
            continue
    return frozenset(numbers)


def window_totals(
    seed: int, canonical_type: str, count: int, buckets: range, quiet: frozenset[int]
) -> dict[int, int]:
    """Primary count per entity index (only non-zero), skipping idle days and hours wholesale."""
    totals: dict[int, int] = {}
    if not buckets:
        return totals
    first, last = buckets[0], buckets[-1]
    scale = _SCALE[canonical_type]
    for index in range(count):
        base = entity_base(seed, canonical_type, index)
        total = 0
        for day in range(first // BUCKETS_PER_DAY, last // BUCKETS_PER_DAY + 1):
            if day in quiet or not day_active(base, day):
                continue
            hour_lo = max(first // BUCKETS_PER_HOUR, day * 24)
            hour_hi = min(last // BUCKETS_PER_HOUR, day * 24 + 23)
            for hour in range(hour_lo, hour_hi + 1):
                if not hour_active(base, hour):
                    continue
                lo = max(first, hour * BUCKETS_PER_HOUR)
                hi = min(last, hour * BUCKETS_PER_HOUR + BUCKETS_PER_HOUR - 1)
                for bucket in range(lo, hi + 1):
                    total += bucket_value(base, bucket, scale)
        if total:
            totals[index] = total
    return totals


# --- formatting helpers --------------------------------------------------------------------


def _decimal(micros: int) -> str:
    """Fixed-point micro-units as a decimal with at most six places, no float rounding."""
    whole, frac = divmod(micros, 1_000_000)
    return f"{whole}.{frac:06d}".rstrip("0").rstrip(".")


def _ratio_micros(numerator: int, denominator: int) -> int:
    return (2 * numerator * 1_000_000 + denominator) // (2 * denominator)


def _json_map(mapping: dict[str, int]) -> str:
    return json.dumps(mapping, separators=(",", ":"), ensure_ascii=False)


def _uuid_like(*parts: int) -> str:
    text = f"{hash_ints(*parts, 1):016x}{hash_ints(*parts, 2):016x}"
    variant = "89ab"[int(text[16], 16) % 4]
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{variant}{text[17:20]}-{text[20:32]}"


def _spread(rng: _Rng, total: int, keys: Sequence[str], max_keys: int) -> dict[str, int]:
    """Split ``total`` over a few distinct keys, every share positive."""
    if total <= 0 or not keys:
        return {}
    k = min(1 + rng.below(max_keys), len(keys), total)
    start = rng.below(len(keys))
    chosen = [keys[(start + i) % len(keys)] for i in range(k)]
    shares = [1 + s for s in rng.partition(total - k, k)]
    return dict(zip(chosen, shares, strict=True))


def split_by_weights(total: int, weights: Sequence[int]) -> list[int]:
    """Largest-remainder split: integer shares proportional to weights, summing to total."""
    weight_sum = sum(weights)
    shares = [total * w // weight_sum for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % weight_sum), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


@dataclasses.dataclass(frozen=True)
class _Unit:
    """One output row before derivation: an entity's share of the window."""

    index: int
    count: int
    group: str | None = None
    byok: bool = False


class UsageData:
    """All data of one seeded workspace; ``settings`` is read at call time, never cached."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.org_id = _uuid_like(seed, 0x0A6)

    # --- entities --------------------------------------------------------------------------

    @functools.lru_cache(maxsize=65536)  # noqa: B019 - the instance lives as long as the cache
    def entity_id(self, canonical_type: str, index: int) -> str:
        if canonical_type == "models":
            return self.model(index)[0]
        return _uuid_like(self.seed, _TYPE_CODE[canonical_type], index)

    @staticmethod
    def model(index: int) -> tuple[str, str]:
        if index < len(MODEL_CATALOG):
            return MODEL_CATALOG[index]
        return (f"custom-model-{index + 1:03d}", "azure")

    def entity_ids(self, export_type: str, settings: WorkspaceSettings) -> list[str]:
        ctype = CANONICAL_TYPE[export_type]
        return [self.entity_id(ctype, i) for i in range(settings.entity_count(ctype))]

    def entity_name(self, canonical_type: str, index: int, tricky: bool) -> str:
        label = _LABEL[canonical_type]
        if canonical_type == "models":
            return self.model(index)[0]
        if tricky and index % 3 == 1:
            variant = (index // 3) % 4
            if canonical_type == "users":
                return _TRICKY_USERS[variant]
            return (
                f'Ünïcødé, "Quoted"\n{label} {index + 1}',
                f'Line\r\nBreak "{label}" {index + 1}',
                f"Comma, Separated; {label} #{index + 1}",
                f"日本語 {label} Ω {index + 1}",
            )[variant]
        if canonical_type == "users":
            return f"{self._first(index)} {self._last(index)}"
        topic = _TOPICS[hash_ints(self.seed, _TYPE_CODE[canonical_type], index, 7) % 8]
        return f"{topic} {label} {index + 1:02d}"

    def _first(self, index: int) -> str:
        return _FIRST[hash_ints(self.seed, 2, index, 3) % len(_FIRST)]

    def _last(self, index: int) -> str:
        return _LAST[hash_ints(self.seed, 2, index, 4) % len(_LAST)]

    def user_email(self, index: int) -> str:
        return f"{self._first(index)}.{self._last(index)}.{index + 1}@example.com".lower()

    def _owner(self, canonical_type: str, index: int, settings: WorkspaceSettings) -> int | None:
        users = settings.entity_count("users")
        if users == 0:
            return None
        return hash_ints(self.seed, _TYPE_CODE[canonical_type], index, 5) % users

    def entity_index(self, export_type: str, entity_id: str, settings: WorkspaceSettings) -> int:
        ctype = CANONICAL_TYPE[export_type]
        for index in range(settings.entity_count(ctype)):
            if self.entity_id(ctype, index) == entity_id:
                return index
        raise KeyError(f"no {export_type} entity {entity_id!r} in this workspace")

    @staticmethod
    def is_private_workflow(index: int) -> bool:
        return index % 3 == 2

    # --- ground truth ----------------------------------------------------------------------

    def ground_truth(
        self,
        export_type: str,
        entity_id: str,
        from_utc: dt.datetime,
        to_utc: dt.datetime,
        settings: WorkspaceSettings,
    ) -> int:
        """Sum of the entity's buckets starting in [from_utc, to_utc], one bucket at a time.

        Deliberately shares no range arithmetic with the export path so tests can compare.
        """
        ctype = CANONICAL_TYPE[export_type]
        index = self.entity_index(export_type, entity_id, settings)
        from_utc = from_utc.astimezone(UTC) if from_utc.tzinfo else from_utc.replace(tzinfo=UTC)
        to_utc = to_utc.astimezone(UTC) if to_utc.tzinfo else to_utc.replace(tzinfo=UTC)
        step = dt.timedelta(seconds=BUCKET_SECONDS)
        start = from_utc.replace(second=0, microsecond=0, minute=from_utc.minute // 15 * 15)
        total = 0
        t = start
        while t <= to_utc:
            if t >= from_utc and t.date().isoformat() not in settings.quiet_days:
                bucket = int(t.timestamp()) // BUCKET_SECONDS
                total += bucket_count(self.seed, ctype, index, bucket)
            t += step
        return total

    # --- export rows -----------------------------------------------------------------------

    def _units(
        self, export_type: str, window: Window, group_by: str | None, settings: WorkspaceSettings
    ) -> list[_Unit]:
        ctype = CANONICAL_TYPE[export_type]
        totals = window_totals(
            self.seed,
            ctype,
            settings.entity_count(ctype),
            bucket_range(window.from_utc, window.to_utc),
            _quiet_day_numbers(settings.quiet_days),
        )
        units: list[_Unit] = []
        for index, total in totals.items():
            if ctype == "workflows" and settings.privacy and self.is_private_workflow(index):
                continue
            parts = [(total, False)]
            if ctype == "models" and settings.byok and index % 2 == 0:
                byok_share = split_by_weights(total, [1, 1 + total % 3])[1]
                parts = [(total - byok_share, False), (byok_share, True)]
            for count, byok in parts:
                if count <= 0:
                    continue
                if group_by is None:
                    units.append(_Unit(index, count, None, byok))
                    continue
                groups = GROUP_VALUES[group_by]
                weights = [
                    0 if h % 3 == 0 else 1 + h % 9
                    for h in (
                        hash_ints(self.seed, _TYPE_CODE[ctype], index, int(byok), g, 11)
                        for g in range(len(groups))
                    )
                ]
                if not any(weights):
                    weights[index % len(groups)] = 1
                for group, share in zip(groups, split_by_weights(count, weights), strict=True):
                    if share:
                        units.append(_Unit(index, share, group, byok))
        return units

    def rows(
        self,
        export_type: str,
        window: Window,
        group_by: str | None,
        settings: WorkspaceSettings,
    ) -> list[dict[str, str]]:
        """The data rows of an export (empty when no entity had usage)."""
        ctype = CANONICAL_TYPE[export_type]
        columns = columns_for(
            export_type,
            privacy=settings.privacy,
            byok=settings.byok,
            extra_column=settings.extra_column,
            group_by=group_by,
        )
        full = [
            self._full_row(ctype, unit, window, group_by, settings)
            for unit in self._units(export_type, window, group_by, settings)
        ]
        if ctype == "users":
            _add_ranks(full)
        return [{c: row.get(c, "") for c in columns} for row in full]

    def _full_row(
        self,
        ctype: str,
        unit: _Unit,
        window: Window,
        group_by: str | None,
        settings: WorkspaceSettings,
    ) -> dict[str, str]:
        rng = _Rng(
            self.seed,
            _TYPE_CODE[ctype],
            unit.index,
            unit.count,
            int(unit.byok),
            _hash_text(unit.group or ""),
        )
        static = _Rng(self.seed, _TYPE_CODE[ctype], unit.index, 99)
        row = {
            "period_start": window.period_start,
            "period_end": window.period_end,
            "org_id": self.org_id,
            EXTRA_COLUMN: str((unit.count * 7 + unit.index) % 1000),
        }
        if group_by is not None and unit.group is not None:
            row[GROUP_COLUMNS[ctype][group_by]] = unit.group
        builder = {
            "projects": self._project_row,
            "users": self._user_row,
            "agents": self._agent_row,
            "api-keys": self._api_key_row,
            "models": self._model_row,
            "workflows": self._workflow_row,
        }[ctype]
        row.update(builder(unit, rng, static, group_by, settings))
        return row

    def _owner_cells(self, ctype: str, index: int, settings: WorkspaceSettings) -> tuple[str, str]:
        owner = self._owner(ctype, index, settings)
        if owner is None:
            return "", ""
        return self.entity_id("users", owner), self.user_email(owner)

    def _project_row(
        self,
        unit: _Unit,
        rng: _Rng,
        static: _Rng,
        group_by: str | None,
        settings: WorkspaceSettings,
    ) -> dict[str, str]:
        owner_id, owner_email = self._owner_cells("projects", unit.index, settings)
        return {
            "project_id": self.entity_id("projects", unit.index),
            "project_name": self.entity_name("projects", unit.index, settings.tricky_names),
            "project_owner_id": owner_id,
            "project_owner_email": owner_email,
            "messages": str(unit.count),
        }

    def _user_row(
        self,
        unit: _Unit,
        rng: _Rng,
        static: _Rng,
        group_by: str | None,
        settings: WorkspaceSettings,
    ) -> dict[str, str]:
        total = unit.count
        chat, assistants, projects = rng.partition(total, 3)
        agent_ids = self.entity_ids("agents", settings)
        project_ids = self.entity_ids("projects", settings)
        if not agent_ids:
            chat, assistants = chat + assistants, 0
        if not project_ids:
            chat, projects = chat + projects, 0
        to_assistants = _spread(rng, assistants, agent_ids, 3)
        to_projects = _spread(rng, projects, project_ids, 3)
        if group_by == "model" and unit.group is not None:
            to_models = {unit.group: total}
        else:
            to_models = _spread(rng, total, GROUP_VALUES["model"], 3)
        actions = _spread(rng, rng.below(total // 3 + 1), _ACTIONS, 3)
        role = ("member", "member", "member", "editor", "admin")[static.below(5)]
        joined = dt.date(2022, 1, 1) + dt.timedelta(days=static.below(730))
        payg_limit = (0, 0, 25, 50, 100)[static.below(5)]
        consumption = total * rng.between(500, 5000)
        row = {
            "user_id": self.entity_id("users", unit.index),
            "name": self.entity_name("users", unit.index, settings.tricky_names),
            "email": self.user_email(unit.index),
            "role": role,
            "joined_at": joined.isoformat(),
            "department": _DEPARTMENTS[static.below(len(_DEPARTMENTS))],
            "company_name": ("Acme GmbH", "Acme Inc.")[static.below(2)],
            "license_type": ("business", "business", "enterprise")[static.below(3)],
            "payg_limit_current": str(payg_limit) if payg_limit else "",
            "payg_consumption_in_period": _decimal(consumption),
            "payg_utilization_pct_current": (
                _decimal(_ratio_micros(consumption * 100, payg_limit * 1_000_000))
                if payg_limit
                else ""
            ),
            "messages_total": str(total),
            "messages_chat": str(chat),
            "messages_assistants": str(sum(to_assistants.values())),
            "assistants_messaged": str(len(to_assistants)),
            "assistants_to_messages": _json_map(to_assistants),
            "messages_projects": str(sum(to_projects.values())),
            "projects_messaged": str(len(to_projects)),
            "projects_to_messages": _json_map(to_projects),
            "model_to_messages_total": _json_map(to_models),
            "action_messages": str(sum(actions.values())),
            "action_messaged": str(len(actions)),
            "action_to_messages": _json_map(actions),
        }
        prompt = total * rng.between(200, 1500)
        completion = total * rng.between(50, 600)
        row["sum_prompt_tokens"] = str(prompt)
        row["sum_completion_tokens"] = str(completion)
        row["total_cost_usd"] = _decimal(prompt * 3 + completion * 15)
        return row

    def _agent_row(
        self,
        unit: _Unit,
        rng: _Rng,
        static: _Rng,
        group_by: str | None,
        settings: WorkspaceSettings,
    ) -> dict[str, str]:
        total = unit.count
        agent_id = self.entity_id("agents", unit.index)
        unique = 1 + rng.below(min(total, max(settings.entity_count("users"), 1)))
        active = 1 + rng.below(unique)
        owner_id, owner_email = self._owner_cells("agents", unit.index, settings)
        if unit.index % 5 == 4:
            description = ""
        elif settings.tricky_names and unit.index % 2 == 1:
            description = f'Answers "how do I…?", drafts replies,\nand cites sources ({unit.index})'
        else:
            description = f"Helps the team with {_TOPICS[static.below(len(_TOPICS))].lower()}"
        row = {
            "assistant_id": agent_id,
            "assistant_name": self.entity_name("agents", unit.index, settings.tricky_names),
            "messages": str(total),
            "unique_users": str(unique),
            "active_users": str(active),
            "conversations": str(1 + rng.below(total)),
            "messages_per_user": _decimal(_ratio_micros(total, active)),
            "assistant_description": description,
            "assistant_url": f"https://app.langdock.com/assistants/{agent_id}",
            "assistant_owner_id": owner_id,
            "assistant_owner_email": owner_email,
        }
        for kind, low, high in (("prompt", 50, 400), ("completion", 20, 300)):
            smallest = rng.between(low, high)
            largest = smallest + rng.below(3000) if total > 1 else smallest
            middle = rng.between(smallest, largest)
            tokens = smallest if total == 1 else smallest + largest + (total - 2) * middle
            row[f"sum_{kind}_tokens"] = str(tokens)
            row[f"avg_{kind}_tokens"] = _decimal(_ratio_micros(tokens, total))
            row[f"min_{kind}_tokens"] = str(smallest)
            row[f"max_{kind}_tokens"] = str(largest)
        return row

    def _tokens(self, rng: _Rng, requests: int) -> dict[str, int]:
        prompt = requests * rng.between(100, 3000)
        cached, creation, fresh = rng.partition(prompt, 3)
        return {
            "prompt": prompt,
            "completion": requests * rng.between(20, 800),
            "cached": cached,
            "creation": creation,
            "fresh": fresh,
        }

    def _api_key_row(
        self,
        unit: _Unit,
        rng: _Rng,
        static: _Rng,
        group_by: str | None,
        settings: WorkspaceSettings,
    ) -> dict[str, str]:
        tokens = self._tokens(rng, unit.count)
        return {
            "api_key_id": self.entity_id("api-keys", unit.index),
            "api_key_name": self.entity_name("api-keys", unit.index, settings.tricky_names),
            "requests": str(unit.count),
            "total_cost_usd": _decimal(unit.count * rng.between(200, 20000)),
            "sum_prompt_tokens": str(tokens["prompt"]),
            "sum_completion_tokens": str(tokens["completion"]),
            "cached_prompt_tokens": str(tokens["cached"]),
            "cache_creation_tokens": str(tokens["creation"]),
            "no_cache_tokens": str(tokens["fresh"]),
        }

    def _model_row(
        self,
        unit: _Unit,
        rng: _Rng,
        static: _Rng,
        group_by: str | None,
        settings: WorkspaceSettings,
    ) -> dict[str, str]:
        name, provider = self.model(unit.index)
        tokens = self._tokens(rng, unit.count)
        return {
            "name": name,
            "provider": provider,
            "bring_your_keys": "true" if unit.byok else "false",
            "requests": str(unit.count),
            "sum_prompt_tokens": str(tokens["prompt"]),
            "sum_completion_tokens": str(tokens["completion"]),
            "sum_cached_prompt_tokens": str(tokens["cached"]),
            "sum_cache_creation_tokens": str(tokens["creation"]),
            "no_cache_tokens": str(tokens["fresh"]),
            "total_cost_usd": _decimal(tokens["prompt"] * 3 + tokens["completion"] * 15),
        }

    def _workflow_row(
        self,
        unit: _Unit,
        rng: _Rng,
        static: _Rng,
        group_by: str | None,
        settings: WorkspaceSettings,
    ) -> dict[str, str]:
        runs = unit.count
        failed = rng.below(runs // 4 + 1)
        cost = runs * rng.between(10_000, 400_000)
        cap = 0 if unit.index % 4 == 3 else (25, 50, 100)[static.below(3)]
        owner_id, owner_email = self._owner_cells("workflows", unit.index, settings)
        return {
            "workflow_id": self.entity_id("workflows", unit.index),
            "workflow_name": self.entity_name("workflows", unit.index, settings.tricky_names),
            "workflow_owner_id": owner_id,
            "workflow_owner_email": owner_email,
            "runs": str(runs),
            "successful_runs": str(runs - failed),
            "failed_runs": str(failed),
            "total_cost_usd": _decimal(cost),
            "monthly_cap_usd": str(cap) if cap else "",
            "cap_utilization_pct": _decimal(_ratio_micros(cost * 100, cap * 1_000_000))
            if cap
            else "",
        }

    # --- bulk mode -------------------------------------------------------------------------

    def bulk_rows(
        self,
        export_type: str,
        window: Window,
        group_by: str | None,
        settings: WorkspaceSettings,
        count: int,
    ) -> Iterator[list[str]]:
        """``count`` synthetic rows, generated lazily from one template row.

        Only the key, name, count and rank cells vary, which keeps ~1M rows cheap.
        """
        ctype = CANONICAL_TYPE[export_type]
        columns = columns_for(
            export_type,
            privacy=settings.privacy,
            byok=settings.byok,
            extra_column=settings.extra_column,
            group_by=group_by,
        )
        unit = _Unit(0, 1000, GROUP_VALUES[group_by][0] if group_by else None)
        template_row = self._full_row(ctype, unit, window, group_by, settings)
        template = [template_row.get(c, "") for c in columns]
        position = {c: i for i, c in enumerate(columns)}
        key_at = position[ID_COLUMNS[export_type][0]]
        name_at = position.get(NAME_COLUMN[export_type])
        count_at = position[PRIMARY_COUNT_COLUMN[export_type]]
        rank_at = [i for c, i in position.items() if c.endswith("_rank")]
        prefix = f"bulk-{_LABEL[ctype].lower()}-"
        tricky = settings.tricky_names
        for i in range(count):
            row = template.copy()
            key = f"{prefix}{i:07d}"
            row[key_at] = key
            if name_at is not None:
                row[name_at] = f'Bulk, "tricky"\n{key}' if tricky and i % 997 == 1 else key
            row[count_at] = str(count - i)
            for at in rank_at:
                row[at] = str(i + 1)
            yield row


def _add_ranks(rows: list[dict[str, str]]) -> None:
    """Competition ranking (1 = most), as SQL RANK() would give among the export's rows."""
    for column in ("messages_total", "messages_chat", "messages_assistants", "messages_projects"):
        values = sorted((int(r[column]) for r in rows), reverse=True)
        first_position: dict[int, int] = {}
        for position, value in enumerate(values, start=1):
            first_position.setdefault(value, position)
        for row in rows:
            row[f"{column}_rank"] = str(first_position[int(row[column])])
