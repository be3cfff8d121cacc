"""Workspace settings that change what the emulator returns, mutable while it runs."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

DEFAULT_ENTITIES: dict[str, int] = {
    "projects": 12,
    "users": 40,
    "agents": 10,
    "api-keys": 6,
    "models": 8,
    "workflows": 5,
}


@dataclasses.dataclass
class WorkspaceSettings:
    """What kind of Langdock workspace the emulator pretends to be."""

    privacy: bool = False
    byok: bool = False
    bom: bool = False
    extra_column: bool = False
    tricky_names: bool = True
    quiet_days: set[str] = dataclasses.field(default_factory=set)
    url_ttl_seconds: float = 300.0
    export_latency_seconds: float = 0.0
    latency_per_inflight_seconds: float = 0.0
    max_concurrent_exports: int | None = None
    rate_limit_per_minute: int | None = None
    entities: dict[str, int] = dataclasses.field(default_factory=lambda: dict(DEFAULT_ENTITIES))
    bulk_rows: int | None = None
    gzip: bool = False

    def entity_count(self, canonical_type: str) -> int:
        return max(0, int(self.entities.get(canonical_type, DEFAULT_ENTITIES[canonical_type])))

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["quiet_days"] = sorted(self.quiet_days)
        return data

    def copy(self) -> WorkspaceSettings:
        return copy.deepcopy(self)


_BOOL_FIELDS = frozenset({"privacy", "byok", "bom", "extra_column", "tricky_names", "gzip"})
_FLOAT_FIELDS = frozenset(
    {"url_ttl_seconds", "export_latency_seconds", "latency_per_inflight_seconds"}
)
_OPTIONAL_INT_FIELDS = frozenset({"rate_limit_per_minute", "bulk_rows", "max_concurrent_exports"})


def apply_settings_patch(settings: WorkspaceSettings, patch: object) -> None:
    """Merge a JSON object into ``settings``; raises ValueError before changing anything."""
    if not isinstance(patch, dict):
        raise ValueError("settings must be a JSON object")
    staged = settings.copy()
    for key, value in patch.items():
        _apply_one(staged, key, value)
    for field in dataclasses.fields(settings):
        setattr(settings, field.name, getattr(staged, field.name))


def _apply_one(staged: WorkspaceSettings, key: str, value: object) -> None:  # noqa: C901 - one flat branch per kind of setting
    if key in _BOOL_FIELDS:
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be a boolean")
        setattr(staged, key, value)
    elif key in _FLOAT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{key} must be a non-negative number")
        setattr(staged, key, float(value))
    elif key in _OPTIONAL_INT_FIELDS:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{key} must be an integer or null")
        if key == "max_concurrent_exports" and value is not None and value < 0:
            raise ValueError(f"{key} must be >= 0 or null")
        setattr(staged, key, value)
    elif key == "quiet_days":
        if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
            raise ValueError("quiet_days must be a list of YYYY-MM-DD strings")
        staged.quiet_days = set(value)
    elif key == "entities":
        if not isinstance(value, dict) or not all(
            k in DEFAULT_ENTITIES and isinstance(v, int) and not isinstance(v, bool)
            for k, v in value.items()
        ):
            raise ValueError(f"entities must map {sorted(DEFAULT_ENTITIES)} to integers")
        staged.entities.update(value)
    else:
        raise ValueError(f"unknown setting {key!r}")
