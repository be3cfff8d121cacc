-- The workspaces the marts hold (every loaded day, any time zone): what --workspace can
-- name, and whether the page gets its per-workspace breakdown.
select workspace_id, min(usage_date) as first_day, max(usage_date) as last_day
from {marts}.workspace_usage_daily
where workspace_id is not null
group by workspace_id
order by workspace_id
