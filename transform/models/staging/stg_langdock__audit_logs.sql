-- One row per audit-log entry (who changed what, when), typed and renamed; the latest load of
-- each id. Empty, with the same columns, until the audit_logs stream has been loaded: the
-- stream is not selected by default, and `dbt build` must work without its table.
{%- set relation = langdock_optional_source('langdock', 'audit_logs') %}
{%- if relation is none %}

select
    cast(null as {{ dbt.type_string() }}) as audit_log_id,
    cast(null as {{ dbt.type_timestamp() }}) as created_at_utc,
    cast(null as {{ dbt.type_string() }}) as workspace_id,
    cast(null as {{ dbt.type_string() }}) as actor_id,
    cast(null as {{ dbt.type_string() }}) as actor_type,
    cast(null as {{ dbt.type_string() }}) as actor_name,
    cast(null as {{ dbt.type_string() }}) as action,
    cast(null as {{ dbt.type_string() }}) as entity_type,
    cast(null as {{ dbt.type_string() }}) as entity_id,
    cast(null as {{ dbt.type_string() }}) as ip_address,
    cast(null as {{ dbt.type_string() }}) as user_agent,
    cast(null as {{ langdock_type_json() }}) as changes,
    cast(null as {{ langdock_type_json() }}) as snapshot,
    cast(null as {{ dbt.type_timestamp() }}) as loaded_at
where 1 = 0
{%- else %}

with latest as (
    {{ langdock_latest_rows(relation, ['workspace_id', 'id']) }}
)

select
    id as audit_log_id,
    {{ langdock_utc_timestamp(relation, 'created_at') }} as created_at_utc,
    workspace_id,
    actor_id,
    actor_type,
    actor_name,
    action,
    entity_type,
    entity_id,
    ip_address,
    user_agent,
    changes,
    snapshot,
    {{ langdock_loaded_at(relation) }} as loaded_at
from latest
{%- endif %}
