-- One row per API key and local day (see project_usage_daily for the grain). Langdock reports
-- cost per key in every workspace, not only with bring-your-own-key models.
select
    window_start as usage_date,
    window_end,
    window_timezone,
    workspace_id,
    api_key_id,
    api_key_name,
    request_count,
    total_cost_usd,
    prompt_tokens,
    completion_tokens,
    cached_prompt_tokens,
    cache_creation_tokens,
    uncached_tokens,
    case
        when request_count > 0 and total_cost_usd is not null
            then total_cost_usd / request_count
    end as cost_per_request_usd
from {{ ref('stg_langdock__api_keys_usage') }}
