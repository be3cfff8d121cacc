"""z3-target-bigquery 0.7.2 that never emits state after a failed load job (see the README).

Its workers report a failed load job through ``error_notification``, which the loader reads only
while draining the next batch; the run's last batch is never checked, and the drain that does
read a failure still emits state before raising; and a job that failed once is put back on the
queue behind the workers' stop signal at the end of the run, and never loaded. Every state write
goes through ``_write_state_message``, so the guard sits there: state only when every job handed
to a worker was confirmed loaded and none failed.
"""

from __future__ import annotations

import inspect
import sys
import typing as t

from target_bigquery.target import TargetBigQuery

# What the guard relies on, as it reads in z3-target-bigquery 0.7.2's source.
UPSTREAM_SHAPE = (
    (TargetBigQuery.drain_all, "self._write_state_message(state)"),
    (TargetBigQuery.drain_one, "self.error_notification.poll()"),
    (TargetBigQuery.drain_one, "self._jobs_enqueued -= 1"),
)
_upstream_write_state = TargetBigQuery._write_state_message
_upstream_drain_one = TargetBigQuery.drain_one


class LoadJobFailed(RuntimeError):
    """A load job failed after the loader's retries: the state must not move past its rows."""


def _refuse(failure: str) -> t.NoReturn:
    msg = (
        f"a BigQuery load job failed ({failure}); no state was written, so the next run loads "
        "those rows again: fix the cause named above (the loader's log line before this one)"
    )
    raise LoadJobFailed(msg)


def drain_one(self: t.Any, sink: t.Any) -> None:
    """Upstream's drain_one, remembering a reported failure before upstream consumes it."""
    if self.error_notification.poll():
        # Upstream reads it, drains everything (writing state) and raises: refuse that state.
        self._langdock_load_failure = "reported while draining a later batch"
    _upstream_drain_one(self, sink)


def write_state_message(self: t.Any, state: dict[str, t.Any]) -> None:
    """Upstream's state write, once every load job handed to a worker is confirmed loaded."""
    failure = getattr(self, "_langdock_load_failure", None)
    if failure is None and self.error_notification.poll():
        _exc, message = self.error_notification.recv()
        self.logger.error(message)
        failure = "reported by a worker after the last batch"
    # Workers confirm each loaded job; upstream counts them down only while draining the next
    # batch. A job retried after the workers were told to stop is dropped unconfirmed.
    while self.job_notification.poll():
        self.job_notification.recv()
        self._jobs_enqueued -= 1
    while self.log_notification.poll():
        self.logger.info(self.log_notification.recv())
    if failure is None and self._jobs_enqueued > 0:
        failure = f"{self._jobs_enqueued} load job(s) never confirmed as loaded"
    if failure is not None:
        _refuse(failure)
    _upstream_write_state(self, state)


def patch() -> None:
    """Guard the state write, or stop if the loader no longer drains as this package expects."""
    for method, statement in UPSTREAM_SHAPE:
        if statement not in inspect.getsource(method):
            sys.exit(
                "langdock-target-bigquery: the installed z3-target-bigquery no longer has "
                f"{statement!r} in {method.__name__}; check whether it now raises a failed "
                "load job before writing state, then drop langdock-target-bigquery from "
                "meltano.yml (packages/langdock-target-bigquery/README.md)"
            )
    TargetBigQuery.drain_one = drain_one
    TargetBigQuery._write_state_message = write_state_message


def main() -> None:
    patch()
    TargetBigQuery.cli()
