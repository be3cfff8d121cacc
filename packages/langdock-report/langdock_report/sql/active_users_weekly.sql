-- Distinct active users per ISO week (Monday first). Weeks cut by the period's first or last
-- day hold only that week's days inside the period (days_in_period < 7).
select
    cast(date_trunc('week', usage_date) as date) as week_start,
    count(distinct case when is_active then user_id end) as active_users,
    (
        least(cast(date_trunc('week', usage_date) as date) + 6, cast(:last_day as date))
        - greatest(cast(date_trunc('week', usage_date) as date), cast(:first_day as date))
        + 1
    ) as days_in_period
from {marts}.user_usage_daily
where window_timezone = :tz and usage_date between :first_day and :last_day
group by cast(date_trunc('week', usage_date) as date)
order by week_start
