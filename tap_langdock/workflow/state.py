"""The workflow_runs state: one bookmark per workflow, and the runs that were still going.

``workflows.<id>.read_through`` is the instant up to which every run of the workflow was
read (runs created before it); it moves once all pages of the workflow were read, never
back. ``open_runs.<workflow id>.<run id>`` is the creation time of a run that was not final
when read: the next tap run reads from there again, until it is final. One stream state,
no SDK partitions: a workflow created since the last run needs no partition of its own, and
the SDK replays nothing of it.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from tap_langdock.errors import StateError
from tap_langdock.workflow.fields import instant, show_instant

WORKFLOWS = "workflows"
OPEN_RUNS = "open_runs"
READ_THROUGH = "read_through"


class RunsState:
    """A view on the stream's state dict (changed in place, written by the stream)."""

    def __init__(self, state: dict[str, t.Any], stream: str) -> None:
        self._state = state
        self._stream = stream

    def read_through(self, workflow_id: str) -> dt.datetime | None:
        """The workflow's bookmark, or None; raises `StateError` when it is not a date-time."""
        entry = self._section(WORKFLOWS).get(workflow_id)
        value = entry.get(READ_THROUGH) if isinstance(entry, dict) else entry
        if value is None:
            return None
        return self._instant(value, f"{WORKFLOWS}.{workflow_id}.{READ_THROUGH}")

    def open_runs(self, workflow_id: str) -> dict[str, dt.datetime]:
        """Run id -> creation time of the workflow's runs that were still going."""
        runs = self._section(OPEN_RUNS).get(workflow_id) or {}
        if not isinstance(runs, dict):
            self._bad(f"{OPEN_RUNS}.{workflow_id}", runs)
        return {
            str(run): self._instant(value, f"{OPEN_RUNS}.{workflow_id}.{run}")
            for run, value in runs.items()
        }

    def known_workflows(self) -> set[str]:
        return set(self._section(WORKFLOWS)) | set(self._section(OPEN_RUNS))

    def done(
        self, workflow_id: str, through: dt.datetime, still_open: dict[str, dt.datetime]
    ) -> None:
        """All pages of the workflow up to ``through`` were read: move its bookmark there
        (never back) and keep ``still_open`` for the next run."""
        current = self.read_through(workflow_id)
        if current is None or through > current:
            self._state.setdefault(WORKFLOWS, {})[workflow_id] = {
                READ_THROUGH: show_instant(through)
            }
        runs = self._state.setdefault(OPEN_RUNS, {})
        if still_open:
            runs[workflow_id] = {run: show_instant(at) for run, at in sorted(still_open.items())}
        else:
            runs.pop(workflow_id, None)

    def _section(self, name: str) -> dict[str, t.Any]:
        section = self._state.get(name) or {}
        if not isinstance(section, dict):
            self._bad(name, section)
        return section

    def _instant(self, value: object, key: str) -> dt.datetime:
        parsed = instant(value) if isinstance(value, str) else None
        if parsed is None:
            self._bad(key, value)
        return parsed

    def _bad(self, key: str, value: object) -> t.NoReturn:
        msg = (
            f"{self._stream}: the state's {key} {str(value)[:40]!r} is not what this tap "
            "writes; clear this stream's state (meltano state clear) and run again"
        )
        raise StateError(msg)
