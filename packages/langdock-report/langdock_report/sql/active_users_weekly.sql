-- Distinct active users per ISO week (Monday first). Weeks cut by the period's first or last
-- day hold only that week's days inside the period (days_in_period < 7).
with days as (
    select {{ week_start('usage_date') }} as week_start, user_id, is_active
    from {marts}.user_usage_daily
    where window_timezone = :tz and usage_date between :first_day and :last_day
)

select
    week_start,
    count(distinct case when is_active then user_id end) as active_users,
    {{ days_between(
        "greatest(week_start, cast(:first_day as date))",
        "least(" ~ add_days('week_start', 6) ~ ", cast(:last_day as date))",
    ) }} + 1 as days_in_period
from days
group by week_start
order by week_start
