-- Admin activity per day: how many actions of each kind (entity type, action, actor type)
-- happened, by how many actors, on how many entities. activity_date is the day in the dbt var
-- langdock_audit_timezone (default UTC), e.g. `dbt build --vars '{langdock_audit_timezone:
-- Europe/Berlin}'`. Empty until the audit_logs stream has been loaded.
{%- set zone = var('langdock_audit_timezone', 'UTC') %}

select
    {{ langdock_local_date('created_at_utc', zone) }} as activity_date,
    cast('{{ zone }}' as {{ dbt.type_string() }}) as activity_timezone,
    workspace_id,
    entity_type,
    action,
    actor_type,
    count(*) as action_count,
    count(distinct actor_id) as actor_count,
    count(distinct entity_id) as entity_count,
    min(created_at_utc) as first_action_at_utc,
    max(created_at_utc) as last_action_at_utc
from {{ ref('stg_langdock__audit_logs') }}
group by 1, 2, 3, 4, 5, 6
