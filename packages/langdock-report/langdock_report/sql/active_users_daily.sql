-- Users with at least one message, per day.
select
    usage_date as day,
    count(distinct case when is_active then user_id end) as active_users
from {marts}.user_usage_daily
where window_timezone = :tz and usage_date between :first_day and :last_day
group by usage_date
order by day
