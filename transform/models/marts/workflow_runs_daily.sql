-- Workflow runs per workspace, workflow and UTC day of creation: how many ran, failed, were
-- cancelled or are still going, the success rate of the finished ones, median and p95
-- duration, and cost. workspace_id is the tap's workspace_id setting, stamped on the records
-- (the Workflow API names none); null for rows loaded without it (stg_langdock__workflows).
-- success_rate = completed / (completed + failed + cancelled); null while none is finished.
-- Durations are of finished runs only. Empty until the workflow_runs stream has been loaded.
with runs as (
    select
        runs.*,
        cast(created_at_utc as date) as run_date,
        case when is_final then duration_ms end as final_duration_ms
    from {{ ref('stg_langdock__workflow_runs') }} as runs
),

daily as (
    select
        run_date,
        workspace_id,
        workflow_id,
        count(*) as run_count,
        sum(case when status = 'COMPLETED' then 1 else 0 end) as completed_count,
        sum(case when status = 'FAILED' then 1 else 0 end) as failed_count,
        sum(case when status in ('CANCELLED', 'CANCELED') then 1 else 0 end) as cancelled_count,
        sum(case when is_final then 0 else 1 end) as open_count,
        sum(case when is_final then 1 else 0 end) as final_count,
        sum(case when run_mode = 'test' then 1 else 0 end) as test_run_count,
        {{ langdock_percentile('final_duration_ms', 0.5) }} as median_duration_ms,
        {{ langdock_percentile('final_duration_ms', 0.95) }} as p95_duration_ms,
        coalesce(sum(cost_usd), 0) as total_cost_usd
    from runs
    group by 1, 2, 3
)

select
    daily.run_date,
    daily.workspace_id,
    daily.workflow_id,
    workflows.workflow_name,
    daily.run_count,
    daily.completed_count,
    daily.failed_count,
    daily.cancelled_count,
    daily.open_count,
    daily.test_run_count,
    case
        when daily.final_count > 0
            then cast(daily.completed_count as {{ langdock_double() }}) / daily.final_count
    end as success_rate,
    cast(daily.median_duration_ms as {{ langdock_double() }}) as median_duration_ms,
    cast(daily.p95_duration_ms as {{ langdock_double() }}) as p95_duration_ms,
    cast(daily.total_cost_usd as {{ langdock_double() }}) as total_cost_usd
from daily
left join {{ ref('stg_langdock__workflows') }} as workflows
    on daily.workflow_id = workflows.workflow_id
    and daily.workspace_id is not distinct from workflows.workspace_id
