-- One row per model, provider, BYOK state and local day (see project_usage_daily).
select
    window_start as usage_date,
    window_end,
    window_timezone,
    workspace_id,
    model_name,
    model_provider,
    is_bring_your_own_key,
    request_count,
    prompt_tokens,
    completion_tokens,
    cached_prompt_tokens,
    cache_creation_tokens,
    uncached_tokens,
    total_cost_usd,
    case
        when request_count > 0 and total_cost_usd is not null
            then total_cost_usd / request_count
    end as cost_per_request_usd
from {{ ref('stg_langdock__models_usage') }}
