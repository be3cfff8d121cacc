-- Langdock calls agents "assistants" in its export columns; this layer says agent.
with latest as (
    {{ langdock_latest_rows(source('langdock', 'agents_usage'), ['assistant_id', 'period_start', 'period_end', 'org_id']) }}
)

select
    assistant_id as agent_id,
    assistant_name as agent_name,
    assistant_description as agent_description,
    assistant_url as agent_url,
    assistant_owner_id as agent_owner_id,
    assistant_owner_email as agent_owner_email,
    org_id as workspace_id,
    cast(window_start as date) as window_start,
    cast(window_end as date) as window_end,
    window_timezone,
    cast(period_start as date) as period_start_utc,
    cast(period_end as date) as period_end_utc,
    cast(messages as {{ langdock_type_bigint() }}) as message_count,
    cast(unique_users as {{ langdock_type_bigint() }}) as unique_users,
    cast(active_users as {{ langdock_type_bigint() }}) as active_users,
    cast(conversations as {{ langdock_type_bigint() }}) as conversation_count,
    cast(messages_per_user as {{ langdock_type_float() }}) as messages_per_user,
    cast(sum_prompt_tokens as {{ langdock_type_bigint() }}) as prompt_tokens,
    cast(sum_completion_tokens as {{ langdock_type_bigint() }}) as completion_tokens,
    {{ langdock_loaded_at(source('langdock', 'agents_usage')) }} as loaded_at
from latest
