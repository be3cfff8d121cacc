-- Projects by messages in the period.
with used as (
    select
        project_id,
        sum(message_count) as messages,
        count(distinct case when message_count > 0 then usage_date end) as days_used
    from {marts}.project_usage_daily
    where window_timezone = :tz and usage_date between :first_day and :last_day
    group by project_id
    having sum(message_count) > 0
),

latest as (
    select
        project_id,
        project_name,
        project_owner_email,
        row_number() over (partition by project_id order by usage_date desc) as recency
    from {marts}.project_usage_daily
    where window_timezone = :tz and usage_date <= :last_day
)

select
    used.project_id,
    coalesce(latest.project_name, used.project_id) as project_name,
    latest.project_owner_email as owner_email,
    used.messages,
    used.days_used,
    count(*) over () as projects_in_period
from used
inner join latest on latest.project_id = used.project_id and latest.recency = 1
order by used.messages desc, used.project_id
limit :top
