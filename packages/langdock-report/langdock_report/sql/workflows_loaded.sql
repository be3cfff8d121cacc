-- Whether the workflow streams were ever loaded: dbt builds workflow_runs_daily empty without.
select count(*) as days from {marts}.workflow_runs_daily
