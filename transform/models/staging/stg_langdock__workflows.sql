-- One row per workflow of the Workflow API (id, name, status, owner), the latest load of each
-- id. A workflow deleted in Langdock keeps its row: the loaders never delete. Empty, with the
-- same columns, until the workflows stream has been loaded (it is not selected by default).
{%- set relation = langdock_optional_source('langdock', 'workflows') %}
{%- if relation is none %}

select
    cast(null as {{ dbt.type_string() }}) as workflow_id,
    cast(null as {{ dbt.type_string() }}) as workspace_id,
    cast(null as {{ dbt.type_string() }}) as workflow_name,
    cast(null as {{ dbt.type_string() }}) as description,
    cast(null as {{ dbt.type_string() }}) as status,
    cast(null as {{ dbt.type_string() }}) as access_role,
    cast(null as {{ dbt.type_string() }}) as owner_id,
    cast(null as {{ dbt.type_string() }}) as owner_name,
    cast(null as {{ dbt.type_string() }}) as owner_email,
    cast(null as {{ dbt.type_boolean() }}) as has_published_version,
    cast(null as {{ dbt.type_timestamp() }}) as created_at_utc,
    cast(null as {{ dbt.type_timestamp() }}) as updated_at_utc,
    cast(null as {{ dbt.type_timestamp() }}) as loaded_at
where 1 = 0
{%- else %}

with latest as (
    {{ langdock_latest_rows(relation, ['id']) }}
)

select
    id as workflow_id,
    {{ langdock_optional_text(relation, 'workspace_id') }} as workspace_id,
    name as workflow_name,
    description,
    status,
    access_role,
    owner_id,
    owner_name,
    owner_email,
    {{ langdock_boolean('has_published_version') }} as has_published_version,
    {{ langdock_utc_timestamp(relation, 'created_at') }} as created_at_utc,
    {{ langdock_utc_timestamp(relation, 'updated_at') }} as updated_at_utc,
    {{ langdock_loaded_at(relation) }} as loaded_at
from latest
{%- endif %}
