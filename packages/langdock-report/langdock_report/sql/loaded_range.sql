-- What the marts hold, per time zone of the export windows: the loaded days and the grain.
-- The report covers one time zone, the one of the latest window.
select
    window_timezone,
    min(usage_date) as first_day,
    max(usage_date) as last_day,
    count(distinct usage_date) as days_with_data,
    count(distinct workspace_id) as workspaces,
    max({{ days_between('usage_date', 'window_end') }}) + 1 as longest_window_days
from {marts}.workspace_usage_daily
group by window_timezone
order by max(usage_date) desc, window_timezone
