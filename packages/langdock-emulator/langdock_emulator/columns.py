"""Column sets per export type, as the emulator writes them.

Keys are route segments (``agents`` and ``assistants`` share one definition because Langdock
documents ``agents`` as an alias).
"""

from __future__ import annotations

from typing import Final, Literal

from langdock_emulator.dates import BadRequestError

EXPORT_TYPES: Final[tuple[str, ...]] = (
    "users",
    "assistants",
    "agents",
    "api-keys",
    "projects",
    "models",
    "workflows",
)

# The data behind an alias must be identical, so every lookup goes through this.
CANONICAL_TYPE: Final[dict[str, str]] = {t: t for t in EXPORT_TYPES} | {"assistants": "agents"}

# Langdock echoes an underscore for api-keys although the path uses a hyphen.
DATA_TYPE: Final[dict[str, str]] = {t: t for t in EXPORT_TYPES} | {"api-keys": "api_keys"}

_PERIOD: Final[list[str]] = ["period_start", "period_end", "org_id"]

_AGENT_COLUMNS: Final[list[str]] = [
    *_PERIOD,
    "assistant_id",
    "assistant_name",
    "messages",
    "unique_users",
    "active_users",
    "conversations",
    "messages_per_user",
    "assistant_description",
    "assistant_url",
    "assistant_owner_id",
    "assistant_owner_email",
]

COLUMNS: Final[dict[str, list[str]]] = {
    "projects": [
        *_PERIOD,
        "project_id",
        "project_name",
        "project_owner_id",
        "project_owner_email",
        "messages",
    ],
    "users": [
        *_PERIOD,
        "user_id",
        "name",
        "email",
        "role",
        "joined_at",
        "department",
        "company_name",
        "license_type",
        "payg_limit_current",
        "payg_consumption_in_period",
        "payg_utilization_pct_current",
        "messages_total",
        "messages_total_rank",
        "messages_chat",
        "messages_chat_rank",
        "messages_assistants",
        "messages_assistants_rank",
        "assistants_messaged",
        "assistants_to_messages",
        "messages_projects",
        "messages_projects_rank",
        "projects_messaged",
        "projects_to_messages",
        "model_to_messages_total",
        "action_messages",
        "action_messaged",
        "action_to_messages",
    ],
    "agents": _AGENT_COLUMNS,
    "assistants": _AGENT_COLUMNS,
    "api-keys": [*_PERIOD, "api_key_id", "api_key_name", "requests", "total_cost_usd"],
    "models": [*_PERIOD, "name", "provider", "bring_your_keys", "requests"],
    "workflows": [
        *_PERIOD,
        "workflow_id",
        "workflow_name",
        "workflow_owner_id",
        "workflow_owner_email",
        "runs",
        "successful_runs",
        "failed_runs",
        "total_cost_usd",
        "monthly_cap_usd",
        "cap_utilization_pct",
    ],
}

_AGENT_BYOK: Final[list[str]] = [
    "sum_prompt_tokens",
    "avg_prompt_tokens",
    "min_prompt_tokens",
    "max_prompt_tokens",
    "sum_completion_tokens",
    "avg_completion_tokens",
    "min_completion_tokens",
    "max_completion_tokens",
]

BYOK_COLUMNS: Final[dict[str, list[str]]] = {
    "projects": [],
    "users": ["sum_prompt_tokens", "sum_completion_tokens", "total_cost_usd"],
    "agents": _AGENT_BYOK,
    "assistants": _AGENT_BYOK,
    "api-keys": [
        "sum_prompt_tokens",
        "sum_completion_tokens",
        "cached_prompt_tokens",
        "cache_creation_tokens",
        "no_cache_tokens",
    ],
    "models": [
        "sum_prompt_tokens",
        "sum_completion_tokens",
        "sum_cached_prompt_tokens",
        "sum_cache_creation_tokens",
        "no_cache_tokens",
        "total_cost_usd",
    ],
    "workflows": [],
}

_AGENT_PRIVACY: Final[frozenset[str]] = frozenset(
    {"assistant_description", "assistant_url", "assistant_owner_id", "assistant_owner_email"}
)

# Columns removed when the workspace disables user-level data.
PRIVACY_COLUMNS: Final[dict[str, frozenset[str]]] = {
    "projects": frozenset({"project_owner_email"}),
    "users": frozenset({"name", "email"}),
    "agents": _AGENT_PRIVACY,
    "assistants": _AGENT_PRIVACY,
    "api-keys": frozenset(),
    "models": frozenset(),
    "workflows": frozenset({"workflow_owner_id", "workflow_owner_email"}),
}

_MODEL_GROUP: Final[dict[str, str]] = {"model": "model"}

# group_by value -> name of the column it adds, per export type.
GROUP_COLUMNS: Final[dict[str, dict[str, str]]] = {
    "projects": {},
    "users": _MODEL_GROUP,
    "agents": _MODEL_GROUP,
    "assistants": _MODEL_GROUP,
    "api-keys": _MODEL_GROUP,
    "models": {"source": "source", "deployment": "deployment"},
    "workflows": {},
}

# group_by values Langdock only accepts in BYOK workspaces.
BYOK_ONLY_GROUP_BY: Final[dict[str, frozenset[str]]] = {"models": frozenset({"deployment"})}

# The natural key of a row; a group column is inserted right after the last of these.
ID_COLUMNS: Final[dict[str, list[str]]] = {
    "projects": ["project_id"],
    "users": ["user_id"],
    "agents": ["assistant_id"],
    "assistants": ["assistant_id"],
    "api-keys": ["api_key_id"],
    "models": ["name", "provider", "bring_your_keys"],
    "workflows": ["workflow_id"],
}

PRIMARY_COUNT_COLUMN: Final[dict[str, str]] = {
    "projects": "messages",
    "users": "messages_total",
    "agents": "messages",
    "assistants": "messages",
    "api-keys": "requests",
    "models": "requests",
    "workflows": "runs",
}

# The human-entered name of an entity: where tricky text and content faults go.
NAME_COLUMN: Final[dict[str, str]] = {
    "projects": "project_name",
    "users": "name",
    "agents": "assistant_name",
    "assistants": "assistant_name",
    "api-keys": "api_key_name",
    "models": "name",
    "workflows": "workflow_name",
}

EXTRA_COLUMN: Final[str] = "beta_metric"

ColumnKind = Literal["string", "date", "integer", "decimal", "boolean", "json"]

_INTEGER: Final[frozenset[str]] = frozenset(
    {
        "messages",
        "messages_total",
        "messages_total_rank",
        "messages_chat",
        "messages_chat_rank",
        "messages_assistants",
        "messages_assistants_rank",
        "assistants_messaged",
        "messages_projects",
        "messages_projects_rank",
        "projects_messaged",
        "action_messages",
        "action_messaged",
        "unique_users",
        "active_users",
        "conversations",
        "requests",
        "runs",
        "successful_runs",
        "failed_runs",
        "sum_prompt_tokens",
        "min_prompt_tokens",
        "max_prompt_tokens",
        "sum_completion_tokens",
        "min_completion_tokens",
        "max_completion_tokens",
        "cached_prompt_tokens",
        "cache_creation_tokens",
        "sum_cached_prompt_tokens",
        "sum_cache_creation_tokens",
        "no_cache_tokens",
        EXTRA_COLUMN,
    }
)
_DECIMAL: Final[frozenset[str]] = frozenset(
    {
        "payg_limit_current",
        "payg_consumption_in_period",
        "payg_utilization_pct_current",
        "messages_per_user",
        "avg_prompt_tokens",
        "avg_completion_tokens",
        "total_cost_usd",
        "monthly_cap_usd",
        "cap_utilization_pct",
    }
)
_JSON: Final[frozenset[str]] = frozenset(
    {
        "assistants_to_messages",
        "projects_to_messages",
        "model_to_messages_total",
        "action_to_messages",
    }
)


def column_kind(column: str) -> ColumnKind:
    """How a CSV cell of ``column`` is to be read (used for the JSON route)."""
    if column in _INTEGER:
        return "integer"
    if column in _DECIMAL:
        return "decimal"
    if column in _JSON:
        return "json"
    if column == "bring_your_keys":
        return "boolean"
    if column in {"period_start", "period_end", "joined_at"}:
        return "date"
    return "string"


def columns_for(
    export_type: str,
    *,
    privacy: bool = False,
    byok: bool = False,
    extra_column: bool = False,
    group_by: str | None = None,
) -> list[str]:
    """The exact header of an export with these workspace settings."""
    columns = list(COLUMNS[export_type])
    if group_by is not None:
        anchor = columns.index(ID_COLUMNS[export_type][-1])
        columns.insert(anchor + 1, GROUP_COLUMNS[export_type][group_by])
    if privacy:
        hidden = PRIVACY_COLUMNS[export_type]
        columns = [c for c in columns if c not in hidden]
    if byok:
        columns.extend(BYOK_COLUMNS[export_type])
    if extra_column:
        columns.insert(len(columns) - 2, EXTRA_COLUMN)
    return columns


def check_group_by(export_type: str, group_by: object, *, byok: bool) -> str | None:
    """Return the validated group_by, or raise the 400 Langdock gives for it."""
    if group_by is None:
        return None
    allowed = GROUP_COLUMNS[export_type]
    byok_only = BYOK_ONLY_GROUP_BY.get(export_type, frozenset())
    usable = [v for v in allowed if byok or v not in byok_only]
    if isinstance(group_by, str) and group_by in usable:
        return group_by
    if not allowed:
        hint = f"{export_type} exports do not support group_by; omit the field."
    elif isinstance(group_by, str) and group_by in byok_only:
        hint = f"'{group_by}' is only available for BYOK workspaces."
    else:
        hint = "Supported values: " + ", ".join(usable) + "."
    raise BadRequestError(f"Unsupported group_by '{group_by}' for {export_type}. {hint}")
