-- One row per workflow run, typed and renamed, the latest load of each id: a run read while
-- still going is loaded again once final, and that later row wins. Node executions stay in
-- the raw table (JSON). Empty, with the same columns, until workflow_runs has been loaded.
{%- set relation = langdock_optional_source('langdock', 'workflow_runs') %}
{%- if relation is none %}

select
    cast(null as {{ dbt.type_string() }}) as run_id,
    cast(null as {{ dbt.type_string() }}) as workspace_id,
    cast(null as {{ dbt.type_string() }}) as workflow_id,
    cast(null as {{ dbt.type_string() }}) as status,
    cast(null as {{ dbt.type_string() }}) as run_mode,
    cast(null as {{ dbt.type_string() }}) as workflow_version,
    cast(null as {{ dbt.type_timestamp() }}) as created_at_utc,
    cast(null as {{ dbt.type_timestamp() }}) as started_at_utc,
    cast(null as {{ dbt.type_timestamp() }}) as completed_at_utc,
    cast(null as {{ langdock_double() }}) as duration_ms,
    cast(null as {{ langdock_double() }}) as cost_usd,
    cast(null as {{ dbt.type_string() }}) as error,
    cast(null as {{ dbt.type_boolean() }}) as is_final,
    cast(null as {{ dbt.type_int() }}) as execution_count,
    cast(null as {{ dbt.type_timestamp() }}) as loaded_at
where 1 = 0
{%- else %}

with latest as (
    {{ langdock_latest_rows(relation, ['id']) }}
)

select
    id as run_id,
    {{ langdock_optional_text(relation, 'workspace_id') }} as workspace_id,
    workflow_id,
    upper(status) as status,
    run_mode,
    version as workflow_version,
    {{ langdock_utc_timestamp(relation, 'created_at') }} as created_at_utc,
    {{ langdock_utc_timestamp(relation, 'started_at') }} as started_at_utc,
    {{ langdock_utc_timestamp(relation, 'completed_at') }} as completed_at_utc,
    cast(duration_ms as {{ langdock_double() }}) as duration_ms,
    cast(cost_usd as {{ langdock_double() }}) as cost_usd,
    error,
    {{ langdock_boolean('is_final') }} as is_final,
    cast(execution_count as {{ dbt.type_int() }}) as execution_count,
    {{ langdock_loaded_at(relation) }} as loaded_at
from latest
{%- endif %}
