-- The headline figures for the report period and for the two comparison ranges ("recent"
-- and "before", null dates when the period is too short to compare).
-- The ranges as selects, not a `values` list: BigQuery has none.
with ranges as (
    select 'period' as range_name, cast(:first_day as date) as first_day,
        cast(:last_day as date) as last_day
    union all
    select 'recent', cast(:recent_first as date), cast(:recent_last as date)
    union all
    select 'before', cast(:before_first as date), cast(:before_last as date)
),

users as (
    select
        r.range_name,
        coalesce(sum(u.message_count), 0) as messages,
        count(distinct case when u.is_active then u.user_id end) as active_users
    from ranges as r
    left join {marts}.user_usage_daily as u
        on u.usage_date between r.first_day and r.last_day and u.window_timezone = :tz
    group by r.range_name
),

daily_active as (
    select usage_date, count(distinct case when is_active then user_id end) as active_users
    from {marts}.user_usage_daily
    where window_timezone = :tz
    group by usage_date
),

average_active as (
    select r.range_name, avg(d.active_users) as avg_daily_active_users
    from ranges as r
    left join daily_active as d on d.usage_date between r.first_day and r.last_day
    group by r.range_name
),

agents as (
    select
        r.range_name,
        count(distinct case when a.message_count > 0 then a.agent_id end) as agents_used
    from ranges as r
    left join {marts}.agent_usage_daily as a
        on a.usage_date between r.first_day and r.last_day and a.window_timezone = :tz
    group by r.range_name
),

models as (
    select
        r.range_name,
        coalesce(sum(m.request_count), 0) as requests,
        sum(m.total_cost_usd) as cost_usd,
        count(m.total_cost_usd) as rows_with_cost
    from ranges as r
    left join {marts}.model_usage_daily as m
        on m.usage_date between r.first_day and r.last_day and m.window_timezone = :tz
    group by r.range_name
),

figures as (
    select
        users.range_name,
        users.messages,
        users.active_users,
        average_active.avg_daily_active_users,
        agents.agents_used,
        models.requests,
        models.cost_usd,
        models.rows_with_cost
    from users
    inner join average_active on average_active.range_name = users.range_name
    inner join agents on agents.range_name = users.range_name
    inner join models on models.range_name = users.range_name
)

-- One row: the period's figures, then each figure's change in percent from "before" to
-- "recent" (null when "before" is zero or there is nothing to compare).
select
    p.messages,
    p.active_users,
    cast(p.avg_daily_active_users as {{ float }}) as avg_daily_active_users,
    p.agents_used,
    p.requests,
    p.cost_usd,
    p.rows_with_cost,
    r.messages as recent_messages,
    b.messages as before_messages,
    r.active_users as recent_active_users,
    b.active_users as before_active_users,
    r.agents_used as recent_agents_used,
    b.agents_used as before_agents_used,
    r.requests as recent_requests,
    b.requests as before_requests,
    r.cost_usd as recent_cost_usd,
    b.cost_usd as before_cost_usd,
    case when b.messages > 0
        then cast(100 as {{ float }}) * (r.messages - b.messages) / b.messages end as messages_change_pct,
    case when b.active_users > 0
        then cast(100 as {{ float }}) * (r.active_users - b.active_users) / b.active_users end
        as active_users_change_pct,
    case when b.agents_used > 0
        then cast(100 as {{ float }}) * (r.agents_used - b.agents_used) / b.agents_used end
        as agents_used_change_pct,
    case when b.requests > 0
        then cast(100 as {{ float }}) * (r.requests - b.requests) / b.requests end as requests_change_pct,
    case when b.cost_usd > 0
        then cast(100 as {{ float }}) * (r.cost_usd - b.cost_usd) / b.cost_usd end as cost_usd_change_pct
from figures as p
cross join figures as r
cross join figures as b
where p.range_name = 'period' and r.range_name = 'recent' and b.range_name = 'before'
