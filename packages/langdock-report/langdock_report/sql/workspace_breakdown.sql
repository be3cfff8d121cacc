-- One row per workspace for the report period, the headline's figures side by side:
-- messages, active users (distinct in the period), model requests and cost, API requests.
with days as (
    select
        workspace_id,
        sum(user_message_count) as messages,
        sum(model_request_count) as requests,
        sum(model_cost_usd) as cost_usd,
        sum(api_request_count) as api_requests
    from {marts}.workspace_usage_daily
    where usage_date between cast(:first_day as date) and cast(:last_day as date)
        and window_timezone = :tz
    group by workspace_id
),

users as (
    select
        workspace_id,
        count(distinct case when is_active then user_id end) as active_users
    from {marts}.user_usage_daily
    where usage_date between cast(:first_day as date) and cast(:last_day as date)
        and window_timezone = :tz
    group by workspace_id
)

select
    days.workspace_id,
    coalesce(days.messages, 0) as messages,
    coalesce(users.active_users, 0) as active_users,
    coalesce(days.requests, 0) as requests,
    days.cost_usd,
    coalesce(days.api_requests, 0) as api_requests
from days
left join users on users.workspace_id = days.workspace_id
order by coalesce(days.messages, 0) desc, days.workspace_id
