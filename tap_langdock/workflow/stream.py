"""What both Workflow API streams share, and the `workflows` stream (one row per workflow).

Both list the workspace's workflows themselves, so either can be selected alone. Their
requests take the run's rate-limiter slots and stop with the run; a 401 stops the run.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_langdock._compat import override
from tap_langdock.errors import WorkflowApiError
from tap_langdock.run_stream import RunStream
from tap_langdock.workflow import protocol, schemas
from tap_langdock.workflow.pages import Hooks, ListRequest, ListStats, PageReader
from tap_langdock.workflow.protocol import Kind, Page
from tap_langdock.workflow.records import BadItem, Notes, convert_workflow
from tap_langdock.workflow.transport import WorkflowHttp

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_langdock.run import Run
    from tap_langdock.settings import Settings

UTC = dt.timezone.utc
LIST_PATH = "/workflows/v1/list"
RUNS_PATH = "/workflows/v1/runs"


def utc_now() -> dt.datetime:
    """The clock of the workflow streams (tests swap it, as retries.sleep)."""
    return dt.datetime.now(UTC)


class WorkflowApiStream(RunStream):
    """A stream of the Workflow API: its key, session, page reader and one-time warnings."""

    selected_by_default = False
    # records.convert_*() yield exactly the schema's properties in their types.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: t.Any, *, run: Run, schema: dict[str, t.Any]) -> None:
        super().__init__(tap, schema=schema)
        self._run = run
        self._warned: set[str] = set()
        self.notes = Notes()

    @property
    def settings(self) -> Settings:
        """The run's validated settings."""
        return self._run.settings

    def http(self) -> WorkflowHttp:
        """A keyed session for this stream's requests (close it: use ``with``)."""
        key = self.config.get("workflow_api_key") or self.config["api_key"]
        return WorkflowHttp(
            api_url=self.settings.api_url,
            key=str(key).strip(),
            user_agent=f"{self.tap_name}/{t.cast('t.Any', self._tap).plugin_version}",
            timeout=self.settings.request_timeout,
        )

    def reader(self, http: WorkflowHttp) -> PageReader:
        settings = self.settings
        run = self._run
        return PageReader(
            http=http,
            hooks=Hooks(
                take_slot=run.limiter.acquire,
                raise_if_stopping=run.raise_if_stopping,
                answered=run.reached.set,
                was_answered=run.reached.is_set,
            ),
            retry_seconds=settings.max_retry_seconds,
            logger=self.logger,
        )

    def workflow_pages(self, reader: PageReader, stats: ListStats) -> t.Iterator[Page]:
        """Every page of the list of workflows."""
        where = f"{self.name}, list of workflows"
        request = ListRequest(
            LIST_PATH, Kind.WORKFLOWS, protocol.list_query, protocol.LIST_LIMIT, where
        )
        return reader.pages(request, stats)

    def warn_once(self, key: str, message: str, *args: t.Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.logger.warning(message, *args)

    def warn_notes(self) -> None:
        """One warning per field the tap does not know, and for payloads cut."""
        for name in sorted(self.notes.unknown):
            self.warn_once(
                f"extra:{name}",
                "%s: Langdock sent field %s, which this tap does not know; kept in _extra_fields",
                self.name,
                name,
            )
        if self.notes.truncated and "truncated" not in self._warned:
            self.warn_once(
                "truncated",
                "%s: %d node payload(s) were larger than the tap stores in one cell; kept as "
                '{"_truncated": true, "_chars": ...}',
                self.name,
                self.notes.truncated,
            )


class WorkflowsStream(WorkflowApiStream):
    """Every workflow of the workspace, as Langdock lists it now (a full table)."""

    name = "workflows"
    primary_keys = ("id",)
    replication_key = None

    def __init__(self, tap: t.Any, *, run: Run) -> None:
        super().__init__(tap, run=run, schema=schemas.WORKFLOWS)

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        return self.within_run(self._read(context))

    def _read(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        stats = ListStats()
        pii, workspace_id = self.settings.pii, self.settings.workspace_id
        with self.http() as http:
            reader = self.reader(http)
            seen: set[str] = set()
            for page in self.workflow_pages(reader, stats):
                # A page with a bad workflow emits none of its rows.
                try:
                    records = [
                        convert_workflow(item, pii=pii, workspace_id=workspace_id, notes=self.notes)
                        for item in page.items
                    ]
                except BadItem as exc:
                    msg = f"{self.name}: {exc}; report it to Langdock"
                    raise WorkflowApiError(msg) from None
                for record in records:
                    if record["id"] not in seen:
                        seen.add(record["id"])
                        yield record
        self.warn_notes()
        self.logger.info(
            "%s: done: %d workflow(s), %d page(s), %d request(s), %d retries",
            self.name,
            len(seen),
            stats.pages,
            stats.requests,
            stats.retries,
        )
