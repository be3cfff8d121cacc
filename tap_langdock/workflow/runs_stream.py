"""`WorkflowRunsStream`: every run of every workflow, read per workflow, incrementally.

A tap run fixes "now" when it starts and reads, per workflow, the runs created from its
bookmark (or start_date) up to that instant, together with the runs that were still going
at the last read (from the earliest of those on): those are emitted again with what they
became. The workflow's bookmark moves to "now" once all its pages were read, so an
interrupted run reads that workflow again from the old bookmark and loses nothing. Pages
are emitted as they arrive, whatever order Langdock sends them in; a run is emitted once
per tap run, and a page with a bad run emits none of its rows.
"""

from __future__ import annotations

import datetime as dt
import time
import typing as t
from dataclasses import dataclass, field

from tap_langdock._compat import override
from tap_langdock.errors import WorkflowApiError
from tap_langdock.progress import retries_word
from tap_langdock.workflow import fields, protocol, schemas
from tap_langdock.workflow import stream as base
from tap_langdock.workflow.pages import ListRequest, ListStats, PageReader, Skipped
from tap_langdock.workflow.protocol import Kind
from tap_langdock.workflow.records import BadItem, Run, RunRules, convert_run, item_id
from tap_langdock.workflow.state import RunsState
from tap_langdock.workflow.stream import RUNS_PATH, WorkflowApiStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_langdock.run import Run as TapRun

UTC = dt.timezone.utc


@dataclass
class _Workflow:
    """One workflow's read: its range, the runs to read again, and what was found."""

    id: str
    new_from: dt.datetime
    """Runs created at or after this are new."""
    reread: dict[str, dt.datetime]
    found_open: dict[str, dt.datetime] = field(default_factory=dict)
    found_again: set[str] = field(default_factory=set)
    new: int = 0

    @property
    def start(self) -> dt.datetime:
        return min([self.new_from, *self.reread.values()])


class WorkflowRunsStream(WorkflowApiStream):
    """Runs of Langdock workflows, with their node executions."""

    name = "workflow_runs"
    primary_keys = ("id",)
    replication_key = "created_at"
    is_sorted = False

    def __init__(
        self, tap: t.Any, *, run: TapRun, clock: t.Callable[[], dt.datetime] | None = None
    ) -> None:
        super().__init__(tap, run=run, schema=schemas.WORKFLOW_RUNS)
        self.clock = clock
        """Where "now" comes from; None: `stream.utc_now` (which tests swap)."""
        self._now: dt.datetime | None = None

    @property
    def now(self) -> dt.datetime:
        """This tap run's end of reading: runs created before it are read in this run."""
        if self._now is None:
            clock = self.clock if self.clock is not None else base.utc_now
            self._now = clock().astimezone(UTC)
        return self._now

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        return self.within_run(self._read(context))

    def _read(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        state = self.get_context_state(context)
        runs_state = RunsState(state, self.name)
        now = self.now
        totals = ListStats()
        started = time.monotonic()
        emitted: set[str] = set()
        with self.http() as http:
            reader = self.reader(http)
            listed = self._workflow_ids(reader, totals)
            self._log_start(listed, runs_state, now)
            skipped = 0
            for workflow_id in listed:
                workflow = self._plan(workflow_id, runs_state)
                stats = ListStats()
                try:
                    yield from self._runs(reader, workflow, emitted, stats)
                except Skipped as exc:
                    skipped += 1
                    self.logger.warning("%s; skipped, its state is unchanged", exc)
                    continue
                finally:
                    _add(totals, stats)
                runs_state.done(workflow_id, now, workflow.found_open)
                self.write_state(state)
                self._log_workflow(workflow, stats)
        self.warn_notes()
        self.logger.info(
            "%s: done: %d workflow(s) (%d skipped), %d run(s), %d page(s), %d request(s), "
            "%d %s, %.1f s; read through %s",
            self.name,
            len(listed),
            skipped,
            len(emitted),
            totals.pages,
            totals.requests,
            totals.retries,
            retries_word(totals.retries),
            time.monotonic() - started,
            fields.show_instant(now),
        )

    def _workflow_ids(self, reader: PageReader, stats: ListStats) -> list[str]:
        """The ids of every listed workflow, in Langdock's order (ids only: a small list)."""
        ids: dict[str, None] = {}
        for page in self.workflow_pages(reader, stats):
            for item in page.items:
                try:
                    ids[item_id(fields.normalized(item)[0], "workflow")] = None
                except BadItem as exc:
                    msg = f"{self.name}, list of workflows: {exc}; report it to Langdock"
                    raise WorkflowApiError(msg) from None
        return list(ids)

    def _start(self) -> dt.datetime:
        settings = self.settings
        start = dt.datetime.combine(settings.start_date, dt.time(), settings.zone)
        return start.astimezone(UTC)

    def _plan(self, workflow_id: str, runs_state: RunsState) -> _Workflow:
        start = self._start()
        through = runs_state.read_through(workflow_id)
        new_from = max(through, start) if through is not None else start
        return _Workflow(workflow_id, new_from, runs_state.open_runs(workflow_id))

    def _runs(
        self, reader: PageReader, workflow: _Workflow, emitted: set[str], stats: ListStats
    ) -> t.Iterator[dict[str, t.Any]]:
        where = f"{self.name}, workflow {workflow.id}"
        now, start = self.now, workflow.start

        def query(cursor: str | None, limit: int) -> list[tuple[str, str]]:
            return protocol.runs_query(workflow.id, start, now, cursor, limit)

        settings = self.settings
        rules = RunRules(
            pii=settings.pii,
            payloads=settings.workflow_run_payloads,
            workspace_id=settings.workspace_id,
        )
        request = ListRequest(RUNS_PATH, Kind.RUNS, query, protocol.RUNS_LIMIT, where)
        for page in reader.pages(request, stats):
            try:
                runs = [
                    convert_run(item, workflow_id=workflow.id, rules=rules, notes=self.notes)
                    for item in page.items
                ]
            except BadItem as exc:
                msg = f"{where}: {exc}; the state stays before this workflow: report it"
                raise WorkflowApiError(msg) from None
            for run in runs:
                if self._wanted(run, workflow, emitted):
                    yield run.record

    def _wanted(self, run: Run, workflow: _Workflow, emitted: set[str]) -> bool:
        run_id = run.record["id"]
        if run.created_at >= self.now or run_id in emitted:
            return False
        if run.created_at >= workflow.new_from:
            workflow.new += 1
        elif run_id in workflow.reread:
            workflow.found_again.add(run_id)
        else:
            return False  # archived before, and final then
        if not run.final:
            workflow.found_open[run_id] = run.created_at
        emitted.add(run_id)
        return True

    def _log_start(self, listed: list[str], runs_state: RunsState, now: dt.datetime) -> None:
        gone = runs_state.known_workflows() - set(listed)
        if gone:
            self.logger.info(
                "%s: %d workflow(s) of the state are no longer listed (deleted?); their runs "
                "stay as archived",
                self.name,
                len(gone),
            )
        self.logger.info(
            "%s: reading the runs of %d workflow(s) created before %s",
            self.name,
            len(listed),
            fields.show_instant(now),
        )

    def _log_workflow(self, workflow: _Workflow, stats: ListStats) -> None:
        missing = set(workflow.reread) - workflow.found_again
        self.logger.info(
            "%s, workflow %s: %d new run(s), %d read again, %d still going, %d page(s), "
            "%d request(s), %d %s",
            self.name,
            workflow.id,
            workflow.new,
            len(workflow.found_again),
            len(workflow.found_open),
            stats.pages,
            stats.requests,
            stats.retries,
            retries_word(stats.retries),
        )
        if missing:
            self.logger.warning(
                "%s, workflow %s: %d run(s) that were still going are no longer listed; "
                "their last-read status stays in the warehouse",
                self.name,
                workflow.id,
                len(missing),
            )


def _add(totals: ListStats, stats: ListStats) -> None:
    totals.items += stats.items
    totals.pages += stats.pages
    totals.requests += stats.requests
    totals.retries += stats.retries
