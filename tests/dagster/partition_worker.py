"""One partition's run in a process of its own: how Dagster's run workers run them in parallel.

Top-level functions only: a spawned process imports this module by name.
"""

from __future__ import annotations

import dagster as dg

from langdock_dagster.location import build_defs
from tests.support.secrets import find_secrets


def materialize(env: dict[str, str], partition: str) -> tuple[bool, list[str], list[str]]:
    """(success, failure messages, secret findings in the run's log) of one partition."""
    defs = build_defs(env)
    job = defs.resolve_job_def("langdock_load")
    result = job.execute_in_process(
        partition_key=partition, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    messages = [event.message or "" for event in result.all_events]
    failures = [
        str(event.event_specific_data) for event in result.all_events if event.is_step_failure
    ]
    return result.success, failures, find_secrets("\n".join(messages))
