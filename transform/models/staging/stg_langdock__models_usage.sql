with latest as (
    {{ langdock_latest_rows(source('langdock', 'models_usage'), ['name', 'provider', 'bring_your_keys', 'period_start', 'period_end', 'org_id']) }}
)

select
    name as model_name,
    provider as model_provider,
    cast(bring_your_keys as {{ langdock_type_boolean() }}) as is_bring_your_own_key,
    org_id as workspace_id,
    cast(window_start as date) as window_start,
    cast(window_end as date) as window_end,
    window_timezone,
    cast(period_start as date) as period_start_utc,
    cast(period_end as date) as period_end_utc,
    cast(requests as {{ langdock_type_bigint() }}) as request_count,
    cast(sum_prompt_tokens as {{ langdock_type_bigint() }}) as prompt_tokens,
    cast(sum_completion_tokens as {{ langdock_type_bigint() }}) as completion_tokens,
    cast(sum_cached_prompt_tokens as {{ langdock_type_bigint() }}) as cached_prompt_tokens,
    cast(sum_cache_creation_tokens as {{ langdock_type_bigint() }}) as cache_creation_tokens,
    cast(no_cache_tokens as {{ langdock_type_bigint() }}) as uncached_tokens,
    cast(total_cost_usd as {{ langdock_type_float() }}) as total_cost_usd,
    {{ langdock_loaded_at(source('langdock', 'models_usage')) }} as loaded_at
from latest
