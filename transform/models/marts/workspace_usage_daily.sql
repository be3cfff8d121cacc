-- One row per workspace and local day: the five exports rolled up side by side. A day that
-- only some exports returned (Langdock answers "no data" per export) still gets its row, with
-- nulls where an export had nothing.
with users as (
    select
        workspace_id, window_start, window_end, window_timezone,
        count(*) as users_reported,
        sum(case when coalesce(message_count, 0) > 0 then 1 else 0 end) as active_users,
        sum(message_count) as user_message_count,
        sum(chat_message_count) as chat_message_count,
        sum(agent_message_count) as agent_message_count,
        sum(project_message_count) as project_message_count,
        sum(payg_consumption) as payg_consumption
    from {{ ref('stg_langdock__users_usage') }}
    group by workspace_id, window_start, window_end, window_timezone
),

projects as (
    select
        workspace_id, window_start, window_end, window_timezone,
        count(*) as projects_reported,
        sum(message_count) as messages_in_projects
    from {{ ref('stg_langdock__projects_usage') }}
    group by workspace_id, window_start, window_end, window_timezone
),

agents as (
    select
        workspace_id, window_start, window_end, window_timezone,
        count(*) as agents_reported,
        sum(message_count) as messages_with_agents
    from {{ ref('stg_langdock__agents_usage') }}
    group by workspace_id, window_start, window_end, window_timezone
),

api_keys as (
    select
        workspace_id, window_start, window_end, window_timezone,
        count(*) as api_keys_reported,
        sum(request_count) as api_request_count,
        sum(total_cost_usd) as api_cost_usd
    from {{ ref('stg_langdock__api_keys_usage') }}
    group by workspace_id, window_start, window_end, window_timezone
),

models as (
    select
        workspace_id, window_start, window_end, window_timezone,
        count(*) as models_reported,
        sum(request_count) as model_request_count,
        sum(prompt_tokens) as prompt_tokens,
        sum(completion_tokens) as completion_tokens,
        sum(total_cost_usd) as model_cost_usd
    from {{ ref('stg_langdock__models_usage') }}
    group by workspace_id, window_start, window_end, window_timezone
),

days as (
    select workspace_id, window_start, window_end, window_timezone from users
    {{ langdock_union_distinct() }}
    select workspace_id, window_start, window_end, window_timezone from projects
    {{ langdock_union_distinct() }}
    select workspace_id, window_start, window_end, window_timezone from agents
    {{ langdock_union_distinct() }}
    select workspace_id, window_start, window_end, window_timezone from api_keys
    {{ langdock_union_distinct() }}
    select workspace_id, window_start, window_end, window_timezone from models
)

select
    days.window_start as usage_date,
    days.window_end,
    days.window_timezone,
    days.workspace_id,
    users.users_reported,
    users.active_users,
    users.user_message_count,
    users.chat_message_count,
    users.agent_message_count,
    users.project_message_count,
    users.payg_consumption,
    projects.projects_reported,
    projects.messages_in_projects,
    agents.agents_reported,
    agents.messages_with_agents,
    api_keys.api_keys_reported,
    api_keys.api_request_count,
    api_keys.api_cost_usd,
    models.models_reported,
    models.model_request_count,
    models.prompt_tokens,
    models.completion_tokens,
    models.model_cost_usd
from days
{%- for part in ['users', 'projects', 'agents', 'api_keys', 'models'] %}
left join {{ part }}
    on {{ part }}.window_start = days.window_start
    and {{ part }}.window_end = days.window_end
    and {{ part }}.window_timezone is not distinct from days.window_timezone
    and {{ part }}.workspace_id is not distinct from days.workspace_id
{%- endfor %}
