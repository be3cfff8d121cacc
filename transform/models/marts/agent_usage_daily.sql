-- One row per agent and local day (see project_usage_daily for the grain).
select
    window_start as usage_date,
    window_end,
    window_timezone,
    workspace_id,
    agent_id,
    agent_name,
    agent_owner_id,
    agent_owner_email,
    message_count,
    conversation_count,
    unique_users,
    active_users,
    messages_per_user,
    prompt_tokens,
    completion_tokens
from {{ ref('stg_langdock__agents_usage') }}
