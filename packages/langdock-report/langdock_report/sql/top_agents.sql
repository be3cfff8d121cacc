-- Agents by messages in the period. Langdock counts an agent's active users per export window,
-- so over several days the report gives the daily average, not distinct users.
with used as (
    select
        agent_id,
        sum(message_count) as messages,
        sum(conversation_count) as conversations,
        avg(active_users) as avg_daily_active_users,
        sum(active_users) as active_user_days,
        count(distinct case when message_count > 0 then usage_date end) as days_used
    from {marts}.agent_usage_daily
    where window_timezone = :tz and usage_date between :first_day and :last_day
    group by agent_id
    having sum(message_count) > 0
),

latest as (
    select
        agent_id,
        agent_name,
        agent_owner_email,
        row_number() over (partition by agent_id order by usage_date desc) as recency
    from {marts}.agent_usage_daily
    where window_timezone = :tz and usage_date <= :last_day
)

select
    used.agent_id,
    coalesce(latest.agent_name, used.agent_id) as agent_name,
    latest.agent_owner_email as owner_email,
    used.messages,
    used.conversations,
    cast(used.avg_daily_active_users as {{ float }}) as avg_daily_active_users,
    case
        when used.active_user_days > 0
            then cast(used.messages as {{ float }}) / used.active_user_days
    end as messages_per_active_user,
    used.days_used,
    count(*) over () as agents_in_period
from used
inner join latest on latest.agent_id = used.agent_id and latest.recency = 1
order by used.messages desc, used.agent_id
limit :top
