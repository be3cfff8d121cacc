-- A sample of the loaded e-mail and person-name values, to tell the tap's pii mode as loaded:
-- kept (readable), hashed (64 hex digits) or dropped / not exported (no values at all).
select value
from (
    select user_email as value from {marts}.user_usage_daily where user_email is not null
    union all
    select user_name as value from {marts}.user_usage_daily where user_name is not null
    union all
    select agent_owner_email as value
    from {marts}.agent_usage_daily
    where agent_owner_email is not null
    union all
    select project_owner_email as value
    from {marts}.project_usage_daily
    where project_owner_email is not null
) as personal
limit 500
