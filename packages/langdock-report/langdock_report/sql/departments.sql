-- Adoption per department: users seen in any loaded window up to the period's end (with the
-- department of their latest row) against users active in the period.
with latest as (
    select
        user_id,
        department,
        row_number() over (
            partition by user_id order by usage_date desc, window_end desc
        ) as recency
    from {marts}.user_usage_daily
    where window_timezone = :tz and usage_date <= :last_day
),

seen as (
    select user_id, coalesce(nullif(trim(department), ''), '(no department)') as department
    from latest
    where recency = 1
),

in_period as (
    select
        user_id,
        sum(message_count) as messages,
        max(case when is_active then 1 else 0 end) as was_active
    from {marts}.user_usage_daily
    where window_timezone = :tz and usage_date between :first_day and :last_day
    group by user_id
)

select
    seen.department,
    count(*) as users_seen,
    coalesce(sum(in_period.was_active), 0) as active_users,
    cast(coalesce(sum(in_period.was_active), 0) as {{ float }}) / count(*) as adoption,
    coalesce(sum(in_period.messages), 0) as messages
from seen
left join in_period on in_period.user_id = seen.user_id
group by seen.department
order by users_seen desc, seen.department
