-- API keys by requests in the period, with their cost (reported in every workspace).
with used as (
    select
        api_key_id,
        sum(request_count) as requests,
        sum(total_cost_usd) as cost_usd
    from {marts}.api_key_usage_daily
    where window_timezone = :tz and usage_date between :first_day and :last_day
    group by api_key_id
    having sum(request_count) > 0
),

latest as (
    select
        api_key_id,
        api_key_name,
        row_number() over (partition by api_key_id order by usage_date desc) as recency
    from {marts}.api_key_usage_daily
    where window_timezone = :tz and usage_date <= :last_day
)

select
    used.api_key_id,
    coalesce(latest.api_key_name, used.api_key_id) as api_key_name,
    used.requests,
    used.cost_usd,
    case when used.requests > 0 then used.cost_usd / used.requests end as cost_per_request_usd,
    count(*) over () as api_keys_in_period
from used
inner join latest on latest.api_key_id = used.api_key_id and latest.recency = 1
order by used.requests desc, used.api_key_id
limit :top
