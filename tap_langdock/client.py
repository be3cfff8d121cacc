"""The export stream: an SDK stream whose records come from one CSV export per window.

`LangdockStream` is glue. The windows come from the bookmark (`bookmark`), each window's
file from the exporter (`export.exporter`, over `export.transport` and the pure
`export.protocol`), the lines people read from `progress`. What is left here is the SDK's
view of a stream: identity hooks, the schema, a `get_records` that stamps each record with
its window and writes STATE after every window, and one block of adaptations of SDK
internals, each with its reason.

The SDK's request loop is bypassed on purpose: its count-based retries and per-request
pagination cannot express a per-window time budget, fresh exports for expired links,
whole-file rejection or ordered prefetch.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
import typing as t

from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib import SelectionMask
from singer_sdk.streams import RESTStream

from tap_langdock import bookmark
from tap_langdock._compat import override
from tap_langdock.columns import Column, schema_for, with_group
from tap_langdock.export.exporter import ExportJob, ExportResult, WindowExporter
from tap_langdock.progress import Progress, StreamStats
from tap_langdock.run_stream import RunStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record

    from tap_langdock.run import Run
    from tap_langdock.settings import Settings
    from tap_langdock.windows import Window

HISTORY_DAYS = 365


class LangdockStream(RunStream, RESTStream[t.Any]):
    """A Langdock usage export, one CSV per window, incremental on ``period_end``."""

    primary_keys: t.ClassVar[tuple[str, ...]]
    export_type: t.ClassVar[str]
    """Route segment: POST {api_url}/export/{export_type}."""
    group_by: t.ClassVar[str | None] = None
    columns: t.ClassVar[tuple[Column, ...]]
    """Documented columns, in Langdock's order; all nullable, since settings remove some."""

    http_method = "POST"
    replication_key = bookmark.REPLICATION_KEY
    is_sorted = False

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        """A subclass that only sets ``group_by`` gets its columns and key derived."""
        super().__init_subclass__(**kwargs)
        if cls.group_by is not None and "columns" not in cls.__dict__:
            cls.columns, cls.primary_keys = with_group(
                cls.columns, cls.primary_keys, export_type=cls.export_type, group_by=cls.group_by
            )

    def __init__(self, tap: t.Any, *, run: Run, **kwargs: t.Any) -> None:
        kwargs.setdefault("schema", schema_for(self.columns))
        super().__init__(tap, **kwargs)
        self._run = run
        self._mask_source: SelectionMask | None = None
        self._remembering_mask = SelectionMask()

    # Identity

    @property
    def settings(self) -> Settings:
        """The run's validated settings."""
        return self._run.settings

    @property
    @override
    def url_base(self) -> str:
        return self.settings.api_url

    @property
    @override
    def authenticator(self) -> BearerTokenAuthenticator:
        return BearerTokenAuthenticator(token=self.config["api_key"])

    @property
    @override
    def timeout(self) -> int:
        return int(self.settings.request_timeout)

    @property
    def path(self) -> str:  # type: ignore[override]
        """Export route of this stream."""
        return f"/export/{self.export_type}"

    @functools.cached_property
    def progress(self) -> Progress:
        """This stream's progress lines and one-time warnings."""
        return Progress(self.logger, self.name, self.settings.timezone)

    def exporter(self) -> WindowExporter:
        """The exporter of this stream's windows, on this run's rate limit."""
        api = self._run.export_api(
            url_base=self.url_base,
            auth=self.authenticator,
            headers=self.http_headers,
            user_agent=self.user_agent,
            timeout=self.timeout,
            reached=self._run.reached,
        )
        job = ExportJob(self.path, self.group_by, self.columns, self.primary_keys)
        return WindowExporter(api, self._run, job, self.progress)

    # Sync

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        return self.within_run(self._export_windows(self.get_context_state(context)))

    def _export_windows(self, state: dict[str, t.Any]) -> t.Iterator[dict[str, t.Any]]:
        settings, progress = self.settings, self.progress
        plan = bookmark.plan(state, settings, progress)
        if not plan.windows:
            progress.nothing_to_do(plan)
            return
        self._warn_if_past_history(plan.windows[0])
        exporter = self.exporter()
        parallel = exporter.parallel(len(plan.windows))
        progress.start(plan, settings.grain.value, parallel, settings.max_requests_per_minute)
        totals = StreamStats(lookback=len(plan.lookback))
        started = time.monotonic()
        results = exporter.exports(plan.windows)
        try:
            for window, result in zip(plan.windows, results, strict=True):
                period_end = yield from self._emit(window, result)
                bookmark.advance(state, window, period_end, settings)
                self.write_state(state)
                totals.add(result.stats)
                progress.window(window, result.stats)
                limit = self._run.concurrency
                progress.backfill(totals, len(plan.windows), limit.in_flight, limit.limit)
        finally:
            # Also when the SDK closes this generator early: prefetched windows' scratch files
            # are dropped and their threads stop; this thread's sessions close too.
            results.close()
            exporter.close()
        progress.done(totals, time.monotonic() - started)

    def _emit(
        self, window: Window, result: ExportResult
    ) -> t.Generator[dict[str, t.Any], None, str | None]:
        """Yield the window's records stamped with it; return the largest period_end."""
        largest: str | None = None
        if result.file is None:
            return largest
        try:
            self.progress.column_drift(result.file.plan)
            start, end = window.start.isoformat(), window.end.isoformat()
            zone = self.settings.timezone
            for record in result.file.records():
                record["window_start"] = start
                record["window_end"] = end
                record["window_timezone"] = zone
                period_end = record["period_end"]
                if largest is None or period_end > largest:
                    largest = period_end
                yield record
        finally:
            result.discard()
        return largest

    def _warn_if_past_history(self, first: Window) -> None:
        if first.start < self.settings.today() - dt.timedelta(days=HISTORY_DAYS):
            self.progress.warn_once(
                "history",
                "%s: window %s is older than Langdock's 12-month history; the tap still asks, "
                "but Langdock may answer with no data",
                self.name,
                first,
            )

    # SDK adaptations. Each leans on SDK behaviour that is internal or undocumented; the pin
    # singer-sdk ~=0.54.9 keeps them stable and tests/tap/test_stream_maps.py checks them.

    # csv_records already gives every cell its schema type (str, int, float, bool, dict, None)
    # and yields exactly the schema's properties, so the SDK's per-record conformance pass
    # would change nothing.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    @property
    @override
    def mask(self) -> SelectionMask:
        # The SDK looks up every key of every JSON map cell (agent, project and model ids) in
        # this mask, per record; unknown keys resolve through a Python fallback each time.
        # Remembering the answers makes them plain dict hits. Rebuilt whenever the SDK
        # resolves selection again.
        resolved = super().mask
        if self._mask_source is not resolved:
            self._mask_source = resolved
            self._remembering_mask = _RememberingMask(resolved)
        return self._remembering_mask

    @override
    def generate_child_contexts(
        self, record: Record, context: Context | None
    ) -> t.Iterable[Context | None]:
        # No export stream has child streams; without any, the SDK's per-record child-context
        # work (and a second evaluation of a stream map's __filter__) would only cost time.
        if not self.child_streams:
            return ()
        return super().generate_child_contexts(record, context)


class _RememberingMask(SelectionMask):
    """A selection mask that keeps what it derived for breadcrumbs the catalog does not list."""

    LIMIT = 100_000

    def __missing__(self, breadcrumb: tuple[str, ...]) -> bool:
        selected = super().__missing__(breadcrumb)
        if len(self) < self.LIMIT:
            self[breadcrumb] = selected
        return selected
