-- Messages per day and surface. Langdock's messages_total is chat + agents + projects, so the
-- three stack up to the day's total.
with daily as (
    select
        usage_date,
        coalesce(sum(chat_message_count), 0) as chat,
        coalesce(sum(agent_message_count), 0) as agents,
        coalesce(sum(project_message_count), 0) as projects
    from {marts}.workspace_usage_daily
    where window_timezone = :tz and usage_date between :first_day and :last_day
    group by usage_date
),

totals as (
    select usage_date, chat, agents, projects, chat + agents + projects as day_total
    from daily
)

select usage_date as day, 'Chat' as surface, 1 as surface_order, chat as messages, day_total
from totals
union all
select usage_date as day, 'Agents' as surface, 2 as surface_order, agents as messages, day_total
from totals
union all
select
    usage_date as day, 'Projects' as surface, 3 as surface_order, projects as messages, day_total
from totals
order by day, surface_order
