-- One row per project and local day (per window: with window=week or month in the tap's
-- settings a row covers window_start..window_end). usage_date is the local day in
-- window_timezone; Langdock's own period_start/period_end are UTC dates.
select
    window_start as usage_date,
    window_end,
    window_timezone,
    workspace_id,
    project_id,
    project_name,
    project_owner_id,
    project_owner_email,
    message_count
from {{ ref('stg_langdock__projects_usage') }}
