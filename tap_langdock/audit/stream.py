"""`AuditLogsStream`: Langdock's audit log, one record per entry, read in settled ranges.

How a run is planned and why it never loses or doubles an entry is in `ranges`; this module
puts the parts together for the SDK. Records of a range are emitted as its pages arrive
(in Langdock's order, whatever that is); the STATE after the range comes only once every
page of it was read. An entry read twice within a range is emitted once.
"""

from __future__ import annotations

import datetime as dt
import time
import typing as t
import urllib.parse

from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_langdock._compat import override
from tap_langdock.audit import bookmark
from tap_langdock.audit.pages import PageReader, RangeStats
from tap_langdock.audit.ranges import OVERLAP, UTC, Plan, Range, plan_ranges, show
from tap_langdock.audit.records import SCHEMA, BadEntry, Converted, convert
from tap_langdock.errors import AuditLogError, SettingsError
from tap_langdock.progress import retries_word
from tap_langdock.run_stream import RunStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_langdock.audit.transport import AuditApi
    from tap_langdock.rate_limit import RateLimiter
    from tap_langdock.run import Run
    from tap_langdock.settings import Settings


def utc_now() -> dt.datetime:
    """The clock of every audit stream not given one (tests swap it, as retries.sleep)."""
    return dt.datetime.now(UTC)


class AuditLogsStream(RunStream):
    """Who changed what in the workspace: agents, users, API keys, settings, workflows."""

    name = "audit_logs"
    primary_keys = ("id",)
    replication_key = "created_at"
    selected_by_default = False
    is_sorted = False
    # records.convert() yields exactly the schema's properties in their types.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(
        self, tap: t.Any, *, run: Run, clock: t.Callable[[], dt.datetime] | None = None
    ) -> None:
        super().__init__(tap, schema=SCHEMA)
        self._run = run
        self.clock = clock if clock is not None else utc_now
        """Where "now" comes from: ranges end a few minutes before it."""
        self._warned: set[str] = set()

    @property
    def settings(self) -> Settings:
        """The run's validated settings."""
        return self._run.settings

    def settings_problem(self) -> str | None:
        """Why this stream cannot run with the current settings, as the error line."""
        if self.settings.workspace_id is None:
            return (
                "Setting workspace_id is missing: the audit_logs stream is selected and reads "
                "one workspace's audit log; set workspace_id to your Langdock workspace's id "
                "(TAP_LANGDOCK_WORKSPACE_ID), or deselect audit_logs."
            )
        return None

    def check_settings(self) -> None:
        """Raise `SettingsError` when `settings_problem` finds one (before any request)."""
        problem = self.settings_problem()
        if problem is not None:
            raise SettingsError(problem)

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        return self.within_run(self._read_log(context))

    def _read_log(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        problem = self.settings_problem()
        if problem is not None and self.ABORT_AT_RECORD_COUNT is not None:
            # A dry run (--test) selects every stream, also those the user never selected.
            self.logger.info("%s: not tested: %s", self.name, problem)
            return
        self.check_settings()
        state = self.get_context_state(context)
        plan = self.plan(state)
        if not plan.ranges:
            return
        totals = RangeStats()
        started = time.monotonic()
        with self._api() as api:
            reader = self._reader(api)
            for window in plan.ranges:
                stats = RangeStats()
                yield from self._range_records(reader, window, stats)
                bookmark.advance(state, self.name, window.end)
                self.write_state(state)
                self._log_range(window, stats)
                _add(totals, stats)
        self.logger.info(
            "%s: done: %d range(s), %d entries, %d page(s), %d request(s), %d %s, %.1f s; "
            "read through %s",
            self.name,
            len(plan.ranges),
            totals.entries,
            totals.pages,
            totals.requests,
            totals.retries,
            retries_word(totals.retries),
            time.monotonic() - started,
            show(plan.ranges[-1].end),
        )

    def plan(self, state: dict[str, t.Any]) -> Plan:
        """This run's ranges, from settings, the bookmark and the clock; logs what it finds."""
        settings = self.settings
        zone = settings.zone
        start = dt.datetime.combine(settings.start_date, dt.time(), zone).astimezone(UTC)
        end = None
        if settings.end_date is not None:
            after = settings.end_date + dt.timedelta(days=1)
            end = dt.datetime.combine(after, dt.time(), zone).astimezone(UTC)
        plan = plan_ranges(
            now=self.clock(),
            start=start,
            end=end,
            read_through=bookmark.read_through(state, self.name),
        )
        self._log_plan(plan)
        return plan

    def _log_plan(self, plan: Plan) -> None:
        if plan.lost is not None and "retention" not in self._warned:
            self._warned.add("retention")
            self.logger.warning(
                "%s: audit entries from %s to %s are past Langdock's 90-day retention and were "
                "not exported; continuing from %s. Run the tap at least daily so this never "
                "happens again",
                self.name,
                show(plan.lost.start),
                show(plan.lost.end),
                show(plan.lost.end),
            )
        if not plan.ranges:
            self.logger.info(
                "%s: nothing to read: the log is read through %s (settled end %s)",
                self.name,
                show(plan.resumed_from) if plan.resumed_from else "start_date",
                show(plan.settled_end),
            )
            return
        again = ""
        if plan.resumed_from is not None:
            minutes = OVERLAP.seconds // 60
            again = f" ({minutes} min before the bookmark {show(plan.resumed_from)} again)"
        self.logger.info(
            "%s: reading %d range(s) %s..%s%s",
            self.name,
            len(plan.ranges),
            show(plan.ranges[0].start),
            show(plan.ranges[-1].end),
            again,
        )

    def _api(self) -> AuditApi:
        settings = self.settings
        assert settings.workspace_id is not None  # check_settings() ran
        key = self.config.get("audit_log_api_key") or self.config["api_key"]
        workspace = urllib.parse.quote(settings.workspace_id, safe="")
        return self._run.audit_api(
            url=f"{settings.api_url}/audit-logs/{workspace}",
            key=str(key).strip(),
            user_agent=f"{self.tap_name}/{t.cast('t.Any', self._tap).plugin_version}",
            timeout=settings.request_timeout,
        )

    @property
    def rate_limiter(self) -> RateLimiter:
        """The run's request budget, shared with the usage exports (one per workspace)."""
        return self._run.limiter

    def _reader(self, api: AuditApi) -> PageReader:
        settings = self.settings
        assert settings.workspace_id is not None  # check_settings() ran
        return PageReader(
            api=api,
            workspace_id=settings.workspace_id,
            take_slot=self.rate_limiter.acquire,
            retry_seconds=settings.max_retry_seconds,
            logger=self.logger,
        )

    def _range_records(
        self, reader: PageReader, window: Range, stats: RangeStats
    ) -> t.Iterator[dict[str, t.Any]]:
        where = f"{self.name}, range {window}"
        seen: set[str] = set()
        started = time.monotonic()
        for page in reader.pages(window, where, stats):
            for entry in page.entries:
                converted = self._convert(entry, where)
                if not window.holds(converted.created_at):
                    stats.outside += 1
                elif converted.record["id"] in seen:
                    stats.repeated += 1
                else:
                    seen.add(converted.record["id"])
                    stats.entries += 1
                    yield converted.record
        stats.seconds = time.monotonic() - started

    def _convert(self, entry: dict[str, t.Any], where: str) -> Converted:
        settings = self.settings
        assert settings.workspace_id is not None
        try:
            converted = convert(entry, pii=settings.pii, workspace_id=settings.workspace_id)
        except BadEntry as exc:
            msg = f"{where}: {exc}; the bookmark stays before this range: report it to Langdock"
            raise AuditLogError(msg) from None
        for name in converted.unknown:
            self._warn_once(
                f"extra:{name}",
                "%s: Langdock sent field %s, which this tap does not know; kept in _extra_fields",
                name,
            )
        for name in converted.wrapped:
            self._warn_once(
                f"wrapped:{name}",
                '%s: Langdock sent a %s that is not a JSON object; kept as {"_value": ...}',
                name,
            )
        return converted

    def _warn_once(self, key: str, message: str, detail: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.logger.warning(message, self.name, detail)

    def _log_range(self, window: Range, stats: RangeStats) -> None:
        self.logger.info(
            "%s, range %s: %d entries (%d outside the range, %d read twice), %d page(s), "
            "%d request(s), %d %s, %.2f s",
            self.name,
            window,
            stats.entries,
            stats.outside,
            stats.repeated,
            stats.pages,
            stats.requests,
            stats.retries,
            retries_word(stats.retries),
            stats.seconds,
        )


def _add(totals: RangeStats, stats: RangeStats) -> None:
    totals.entries += stats.entries
    totals.pages += stats.pages
    totals.requests += stats.requests
    totals.retries += stats.retries
