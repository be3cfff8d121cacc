-- Requests and cost per model provider.
select
    model_provider,
    sum(request_count) as requests,
    sum(total_cost_usd) as cost_usd,
    count(distinct model_name) as models
from {marts}.model_usage_daily
where window_timezone = :tz and usage_date between :first_day and :last_day
group by model_provider
having sum(request_count) > 0
order by requests desc, model_provider
