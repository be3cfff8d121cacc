-- Requests and cost per model and provider (BYOK and managed usage of a model together).
-- Langdock's models export has cost columns only in bring-your-own-key (BYOK) workspaces:
-- cost_usd is null elsewhere.
select
    model_name,
    model_provider,
    sum(request_count) as requests,
    sum(case when is_bring_your_own_key then request_count else 0 end) as byok_requests,
    sum(total_cost_usd) as cost_usd,
    count(*) over () as models_in_period
from {marts}.model_usage_daily
where window_timezone = :tz and usage_date between :first_day and :last_day
group by model_name, model_provider
having sum(request_count) > 0
order by requests desc, model_name, model_provider
limit :top
