"""Langdock's export types as streams: declarations on `LangdockStream`.

Columns follow Langdock's documentation (Usage Export API, 2026). Every column is nullable:
"user-level data disabled" removes identifying columns and only BYOK workspaces get token
and cost columns. Columns marked "unconfirmed" are not in the docs; they are named after
the documented columns of the other types.
"""

from __future__ import annotations

from tap_langdock.client import LangdockStream
from tap_langdock.columns import ROW_KEY, Column, Kind

TEXT, INT, NUM, BOOL, DATE, JSON = (
    Kind.STRING,
    Kind.INTEGER,
    Kind.NUMBER,
    Kind.BOOLEAN,
    Kind.DATE,
    Kind.OBJECT,
)

# The columns every export starts with (the period and the workspace).
PERIOD = (Column("period_start", DATE), Column("period_end", DATE), Column("org_id", TEXT))


def _columns(*specs: tuple[str, Kind] | tuple[str, Kind, bool]) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


class ProjectsUsage(LangdockStream):
    """Messages per project and period."""

    name = "projects_usage"
    export_type = "projects"
    primary_keys = ("project_id", *ROW_KEY)
    columns = (
        *PERIOD,
        *_columns(
            ("project_id", TEXT),
            ("project_name", TEXT),
            ("project_owner_id", TEXT),
            ("project_owner_email", TEXT, True),
            ("messages", INT),
        ),
    )


class UsersUsage(LangdockStream):
    """Activity per user and period: messages by surface, ranks, licences, extra usage."""

    name = "users_usage"
    export_type = "users"
    primary_keys = ("user_id", *ROW_KEY)
    columns = (
        *PERIOD,
        *_columns(
            ("user_id", TEXT),
            ("name", TEXT, True),
            ("email", TEXT, True),
            ("role", TEXT),
            ("joined_at", DATE),
            ("department", TEXT),
            ("company_name", TEXT),
            ("license_type", TEXT),
            ("payg_limit_current", NUM),
            ("payg_consumption_in_period", NUM),
            ("payg_utilization_pct_current", NUM),
            ("messages_total", INT),
            ("messages_total_rank", INT),
            ("messages_chat", INT),
            ("messages_chat_rank", INT),
            ("messages_assistants", INT),
            ("messages_assistants_rank", INT),
            ("assistants_messaged", INT),
            ("assistants_to_messages", JSON),
            ("messages_projects", INT),
            ("messages_projects_rank", INT),
            ("projects_messaged", INT),
            ("projects_to_messages", JSON),
            ("model_to_messages_total", JSON),
            # Seen in live exports, not in the docs.
            ("action_messages", INT),
            ("action_messaged", INT),
            ("action_to_messages", JSON),
            # BYOK only; unconfirmed names.
            ("sum_prompt_tokens", INT),
            ("sum_completion_tokens", INT),
            ("total_cost_usd", NUM),
        ),
    )


class AgentsUsage(LangdockStream):
    """Use of each agent (formerly "assistant") per period.

    `/export/agents` is an alias of `/export/assistants`; only this one stream exists so the
    same rows are never loaded twice.
    """

    name = "agents_usage"
    export_type = "agents"
    primary_keys = ("assistant_id", *ROW_KEY)
    columns = (
        *PERIOD,
        *_columns(
            ("assistant_id", TEXT),
            ("assistant_name", TEXT),
            ("messages", INT),
            ("unique_users", INT),
            ("active_users", INT),
            ("conversations", INT),
            ("messages_per_user", NUM),
            ("assistant_description", TEXT),
            ("assistant_url", TEXT),
            ("assistant_owner_id", TEXT),
            ("assistant_owner_email", TEXT, True),
            # BYOK only.
            ("sum_prompt_tokens", INT),
            ("avg_prompt_tokens", NUM),
            ("min_prompt_tokens", INT),
            ("max_prompt_tokens", INT),
            ("sum_completion_tokens", INT),
            ("avg_completion_tokens", NUM),
            ("min_completion_tokens", INT),
            ("max_completion_tokens", INT),  # unconfirmed: cut off in every published copy
        ),
    )


class ApiKeysUsage(LangdockStream):
    """Requests and cost per API key and period."""

    name = "api_keys_usage"
    export_type = "api-keys"
    primary_keys = ("api_key_id", *ROW_KEY)
    columns = (
        *PERIOD,
        *_columns(
            ("api_key_id", TEXT),
            ("api_key_name", TEXT),
            ("requests", INT),
            ("total_cost_usd", NUM),
            # BYOK only.
            ("sum_prompt_tokens", INT),
            ("sum_completion_tokens", INT),
            ("cached_prompt_tokens", INT),
            ("cache_creation_tokens", INT),
            ("no_cache_tokens", INT),
        ),
    )


class ModelsUsage(LangdockStream):
    """Requests per model, provider and BYOK state; tokens and cost in BYOK workspaces."""

    name = "models_usage"
    export_type = "models"
    primary_keys = ("name", "provider", "bring_your_keys", *ROW_KEY)
    columns = (
        *PERIOD,
        *_columns(
            ("name", TEXT),
            ("provider", TEXT),
            ("bring_your_keys", BOOL),
            ("requests", INT),
            # BYOK only.
            ("sum_prompt_tokens", INT),
            ("sum_completion_tokens", INT),
            ("sum_cached_prompt_tokens", INT),
            ("sum_cache_creation_tokens", INT),
            ("no_cache_tokens", INT),
            ("total_cost_usd", NUM),
        ),
    )


class WorkflowsUsage(LangdockStream):
    """Runs, cost and monthly-cap use per workflow (workspaces with workflows enabled)."""

    name = "workflows_usage"
    export_type = "workflows"
    selected_by_default = False
    primary_keys = ("workflow_id", *ROW_KEY)
    columns = (
        *PERIOD,
        *_columns(
            ("workflow_id", TEXT),  # unconfirmed: the docs' column table is cut off
            ("workflow_name", TEXT),  # unconfirmed
            ("workflow_owner_id", TEXT),
            ("workflow_owner_email", TEXT, True),
            ("runs", INT),  # unconfirmed
            ("successful_runs", INT),  # unconfirmed
            ("failed_runs", INT),  # unconfirmed
            ("total_cost_usd", NUM),  # unconfirmed
            ("monthly_cap_usd", NUM),  # unconfirmed
            ("cap_utilization_pct", NUM),  # unconfirmed
        ),
    )


class UsersUsageByModel(UsersUsage):
    """`users_usage` split by model (`group_by=model`)."""

    name = "users_usage_by_model"
    group_by = "model"
    selected_by_default = False


class AgentsUsageByModel(AgentsUsage):
    """`agents_usage` split by model (`group_by=model`)."""

    name = "agents_usage_by_model"
    group_by = "model"
    selected_by_default = False


class ApiKeysUsageByModel(ApiKeysUsage):
    """`api_keys_usage` split by model (`group_by=model`): one row per key and model."""

    name = "api_keys_usage_by_model"
    group_by = "model"
    selected_by_default = False


class ModelsUsageBySource(ModelsUsage):
    """`models_usage` split by source such as WEB or MOBILE (`group_by=source`)."""

    name = "models_usage_by_source"
    group_by = "source"
    selected_by_default = False


class ModelsUsageByDeployment(ModelsUsage):
    """`models_usage` split by deployment (`group_by=deployment`, BYOK workspaces only)."""

    name = "models_usage_by_deployment"
    group_by = "deployment"
    selected_by_default = False


STREAMS: tuple[type[LangdockStream], ...] = (
    ProjectsUsage,
    UsersUsage,
    AgentsUsage,
    ApiKeysUsage,
    ModelsUsage,
    WorkflowsUsage,
    UsersUsageByModel,
    AgentsUsageByModel,
    ApiKeysUsageByModel,
    ModelsUsageBySource,
    ModelsUsageByDeployment,
)
