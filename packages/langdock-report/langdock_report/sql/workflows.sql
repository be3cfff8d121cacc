-- Workflow runs per workflow in the period (UTC days of creation), from workflow_runs_daily.
-- The success rate is over finished runs (run_count - open_count), as in the mart; a
-- percentile cannot be summed over days, so the slowest day's p95 duration is shown.
with in_period as (
    select *
    from {marts}.workflow_runs_daily
    where run_date between :first_day and :last_day
),

latest as (
    select
        workflow_id,
        workflow_name,
        row_number() over (partition by workflow_id order by run_date desc) as recency
    from in_period
),

totals as (
    select
        workflow_id,
        sum(run_count) as runs,
        sum(completed_count) as completed,
        sum(failed_count) as failed,
        sum(open_count) as still_going,
        sum(run_count) - sum(open_count) as finished,
        max(p95_duration_ms) as slowest_p95_duration_ms,
        sum(total_cost_usd) as cost_usd
    from in_period
    group by workflow_id
)

select
    totals.workflow_id,
    coalesce(latest.workflow_name, totals.workflow_id) as workflow_name,
    totals.runs,
    totals.completed,
    totals.failed,
    totals.still_going,
    case
        when totals.finished > 0 then cast(totals.completed as {{ float }}) / totals.finished
    end as success_rate,
    totals.slowest_p95_duration_ms / 1000.0 as slowest_p95_duration_s,
    totals.cost_usd,
    count(*) over () as workflows_in_period
from totals
inner join latest on latest.workflow_id = totals.workflow_id and latest.recency = 1
order by totals.runs desc, totals.workflow_id
limit :top
