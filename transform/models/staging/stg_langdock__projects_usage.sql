with latest as (
    {{ langdock_latest_rows(source('langdock', 'projects_usage'), ['project_id', 'period_start', 'period_end', 'org_id']) }}
)

select
    project_id,
    project_name,
    project_owner_id,
    project_owner_email,
    org_id as workspace_id,
    cast(window_start as date) as window_start,
    cast(window_end as date) as window_end,
    window_timezone,
    cast(period_start as date) as period_start_utc,
    cast(period_end as date) as period_end_utc,
    cast(messages as {{ langdock_type_bigint() }}) as message_count,
    {{ langdock_loaded_at(source('langdock', 'projects_usage')) }} as loaded_at
from latest
