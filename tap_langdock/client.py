"""The base stream: one export per window, downloaded, checked, emitted, checkpointed.

Everything that talks HTTP lives here. Two sessions on purpose: the SDK's session carries the
API key to Langdock; a bare session fetches the signed file, so the key never reaches the
storage host. Signed URLs are bearer credentials: they are never logged, never put in an
exception message, and never passed to code that logs its arguments.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
import threading
import time
import typing as t
import urllib.parse
from dataclasses import dataclass, field

import requests
import urllib3
from singer_sdk import typing as th
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib import SelectionMask
from singer_sdk.streams import RESTStream

from tap_langdock import retries
from tap_langdock._compat import override
from tap_langdock.csv_records import EXTRA_COLUMNS, Column, Kind, PreparedFile
from tap_langdock.csv_records import prepare as prepare_file
from tap_langdock.errors import ExportError, FileRejected, StateError
from tap_langdock.prefetch import Cancelled, Prefetch, Turn
from tap_langdock.rate_limit import RateLimiter, Stopped, shared_limiter
from tap_langdock.settings import Settings, is_loopback
from tap_langdock.windows import Plan, Window, plan_windows, window_containing

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record


MAX_ENVELOPE_BYTES = 1024 * 1024
MAX_URL_REFRESHES = 3
MAX_BAD_RESPONSES = 3
MAX_BAD_FILES = 2
MAX_UNREACHABLE_AT_START = 3
HISTORY_DAYS = 365
DOWNLOAD_CHUNK = 1024 * 1024
TRANSIENT_STATUSES = frozenset({408, 425, 429})

# The group_by values Langdock accepts per export type; anything else is a 400.
GROUP_BY_ALLOWED: dict[str, frozenset[str]] = {
    "users": frozenset({"model"}),
    "agents": frozenset({"model"}),
    "assistants": frozenset({"model"}),
    "api-keys": frozenset({"model"}),
    "models": frozenset({"source", "deployment"}),
}
PERIOD_KEY = ("period_start", "period_end")

_KIND_TYPES: dict[Kind, th.JSONTypeHelper[t.Any] | type[th.JSONTypeHelper[t.Any]]] = {
    Kind.STRING: th.StringType,
    Kind.INTEGER: th.IntegerType,
    Kind.NUMBER: th.NumberType,
    Kind.BOOLEAN: th.BooleanType,
    Kind.DATE: th.DateType,
    Kind.OBJECT: th.ObjectType(additional_properties=True),
}


class _Transient(Exception):
    """Worth retrying the same step after a wait."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Unreachable(_Transient):
    """No connection to Langdock at all (refused, name not resolved): often a wrong api_url."""


class _UrlRefused(Exception):
    """The storage host refused the signed URL: a fresh export is needed."""


class _BadResponse(Exception):
    """Langdock answered 200 with something that is not an export envelope."""


@dataclass(frozen=True)
class _Envelope:
    download_url: str = field(repr=False)
    record_count: int | None
    file_path: str


_NO_DATA = object()


@dataclass
class WindowStats:
    """What one window cost, for the progress line."""

    requests: int = 0
    retries: int = 0
    re_exports: int = 0
    bytes: int = 0
    rows: int = 0
    record_count: int | None = None
    seconds: float = 0.0
    empty: bool = False


@dataclass
class StreamStats:
    """Totals for the end-of-stream summary."""

    windows: int = 0
    empty: int = 0
    lookback: int = 0
    rows: int = 0
    bytes: int = 0
    requests: int = 0
    retries: int = 0
    re_exports: int = 0

    def add(self, window: WindowStats) -> None:
        """Add one window's figures."""
        self.windows += 1
        self.empty += window.empty
        self.rows += window.rows
        self.bytes += window.bytes
        self.requests += window.requests
        self.retries += window.retries
        self.re_exports += window.re_exports


class _NoAuth(requests.auth.AuthBase):
    """Explicit "no credentials": also stops requests from reading ~/.netrc for the host."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class _RememberingMask(SelectionMask):
    """A selection mask that keeps what it derived for breadcrumbs the catalog does not list."""

    LIMIT = 100_000

    def __missing__(self, breadcrumb: tuple[str, ...]) -> bool:
        selected = super().__missing__(breadcrumb)
        if len(self) < self.LIMIT:
            self[breadcrumb] = selected
        return selected


class LangdockStream(RESTStream[t.Any]):
    """A Langdock usage export, one CSV per window, incremental on ``period_end``."""

    primary_keys: t.ClassVar[tuple[str, ...]]
    export_type: t.ClassVar[str]
    """Route segment: POST {api_url}/export/{export_type}."""
    group_by: t.ClassVar[str | None] = None
    columns: t.ClassVar[tuple[Column, ...]]
    """Documented columns, in Langdock's order; all nullable, since settings remove some."""

    http_method = "POST"
    replication_key = "period_end"
    is_sorted = False
    # Checkpoints are written per window by get_records(); a count-based one mid-window
    # would only repeat the last.
    STATE_MSG_FREQUENCY = 2**62
    # csv_records already gives every cell its schema type (str, int, float, bool, dict, None)
    # and yields exactly the schema's properties, so the SDK's per-record conformance pass
    # would change nothing (tests/tap/test_stream_maps.py checks that it does not).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        """Derive a grouped stream's columns and key from the stream it splits.

        A subclass that only sets ``group_by`` gets the grouping column right after the
        entity's id columns, in the schema and in the primary key; a value Langdock would
        reject fails here, at import, instead of as a 400 in the middle of a run.
        """
        super().__init_subclass__(**kwargs)
        if cls.group_by is not None and "columns" not in cls.__dict__:
            cls._split_by_group()

    @classmethod
    def _split_by_group(cls) -> None:
        assert cls.group_by is not None
        if cls.group_by not in GROUP_BY_ALLOWED.get(cls.export_type, frozenset()):
            msg = f"Langdock does not accept group_by={cls.group_by!r} for {cls.export_type}"
            raise TypeError(msg)
        entity = [key for key in cls.primary_keys if key not in PERIOD_KEY]
        names = [column.name for column in cls.columns]
        position = names.index(entity[-1]) + 1
        group = Column(cls.group_by, Kind.STRING)
        cls.columns = (*cls.columns[:position], group, *cls.columns[position:])
        keys = list(cls.primary_keys)
        keys.insert(keys.index(entity[-1]) + 1, cls.group_by)
        cls.primary_keys = tuple(keys)

    def __init__(self, tap: t.Any, **kwargs: t.Any) -> None:
        kwargs.setdefault("schema", self.build_schema())
        super().__init__(tap, **kwargs)
        self._storage = _storage_session()
        # Export threads each get their own two sessions (requests' sessions are not
        # thread-safe); the stream's own pair serves sequential runs.
        self._thread = threading.local()
        self._warned: set[str] = set()
        self._mask_source: SelectionMask | None = None
        self._remembering_mask = SelectionMask()

    @classmethod
    def build_schema(cls) -> dict[str, t.Any]:
        """JSON schema from the column declarations plus the tap's own columns."""
        properties = [
            th.Property(column.name, _KIND_TYPES[column.kind], nullable=True)
            for column in cls.columns
        ]
        properties += [
            th.Property(
                "window_start",
                th.DateType,
                description="First local day of the exported window (in window_timezone).",
            ),
            th.Property(
                "window_end",
                th.DateType,
                description="Last local day of the exported window, inclusive.",
            ),
            th.Property("window_timezone", th.StringType, description="IANA zone of the window."),
            th.Property(
                EXTRA_COLUMNS,
                th.ObjectType(additional_properties=True),
                description="Columns Langdock sent that this version does not know, as text.",
            ),
        ]
        return th.PropertiesList(*properties).to_dict()

    @property
    def settings(self) -> Settings:
        """The tap's validated settings."""
        return t.cast("t.Any", self._tap).settings  # type: ignore[no-any-return]

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

    @override
    def _increment_stream_state(
        self, latest_record: Record, *, context: Context | None = None
    ) -> None:
        # The bookmark moves once per window in _checkpoint(), never per row: rows of lookback
        # windows are older than the bookmark by design and must not move it back.
        return

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

    # Windows and state

    def _where(self, window: Window) -> str:
        return f"{self.name}, window {window} ({self.settings.timezone})"

    def _exported_through(self, state: dict[str, t.Any]) -> dt.date | None:
        settings = self.settings
        if not state:
            return None
        grain = state.get("window")
        zone = state.get("timezone")
        through = state.get("exported_through")
        if through is None:
            value = state.get("replication_key_value")
            if not value:
                return None
            try:
                bookmark = dt.date.fromisoformat(str(value)[:10])
            except ValueError:
                msg = (
                    f"{self.name}: the state's bookmark {str(value)[:40]!r} is not a date; "
                    "clear this stream's state (meltano state clear) and run again"
                )
                raise StateError(msg) from None
            # A bare period_end (state written by hand or by another tool) says only that the
            # UTC day is covered; start again at the local window holding it rather than risk
            # skipping one.
            self.logger.warning(
                "%s: state has no window bookmark, only period_end %s; re-exporting from the "
                "window that contains it",
                self.name,
                bookmark,
            )
            return window_containing(bookmark, settings.grain).start - dt.timedelta(days=1)
        if grain != settings.grain.value:
            msg = (
                f"{self.name}: the state was written with window={grain} but the setting is "
                f"window={settings.grain.value}; windows of another length would overlap rows "
                f"already loaded. Set window back to {grain}, or start a new state "
                "(meltano state clear, or another state id) and reload"
            )
            raise StateError(msg)
        if zone != settings.timezone:
            msg = (
                f"{self.name}: the state was written with timezone={zone} but the setting is "
                f"timezone={settings.timezone}; local windows would overlap or leave gaps. Set "
                f"timezone back to {zone}, or start a new state (meltano state clear) and reload"
            )
            raise StateError(msg)
        try:
            return dt.date.fromisoformat(str(through))
        except ValueError:
            msg = (
                f"{self.name}: the state's exported_through {str(through)[:40]!r} is not a "
                "date; clear this stream's state and run again"
            )
            raise StateError(msg) from None

    def plan(self, state: dict[str, t.Any]) -> Plan:
        """The windows this run exports, from settings and this stream's state."""
        settings = self.settings
        yesterday = settings.today() - dt.timedelta(days=1)
        end = settings.end_date or yesterday
        if end > yesterday:
            self._warn_once(
                "end_date",
                "%s: end_date %s is not over yet in %s; exporting only through %s so an "
                "unfinished day is never bookmarked",
                self.name,
                end,
                settings.timezone,
                yesterday,
            )
            end = yesterday
        return plan_windows(
            grain=settings.grain,
            start_date=settings.start_date,
            end_date=end,
            exported_through=self._exported_through(state),
            lookback_windows=settings.lookback_windows,
        )

    def _checkpoint(self, state: dict[str, t.Any], window: Window, period_end: str | None) -> None:
        previous = state.get("exported_through")
        if previous is None or window.end.isoformat() > str(previous):
            state["exported_through"] = window.end.isoformat()
        state["window"] = self.settings.grain.value
        state["timezone"] = self.settings.timezone
        if period_end is not None:
            current = state.get("replication_key_value")
            if current is None or period_end > str(current):
                state["replication_key"] = self.replication_key
                state["replication_key_value"] = period_end
        # Public SDK entry point that writes a STATE message now.
        self.finalize_state_progress_markers(state)

    # Sync

    @override
    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        state = self.get_context_state(context)
        plan = self.plan(state)
        settings = self.settings
        if not plan.windows:
            self.logger.info(
                "%s: nothing to export: every window through %s is done",
                self.name,
                plan.resumed_after,
            )
            return
        first, last = plan.windows[0], plan.windows[-1]
        if first.start < settings.today() - dt.timedelta(days=HISTORY_DAYS):
            self._warn_once(
                "history",
                "%s: window %s is older than Langdock's 12-month history; the tap still asks, "
                "but Langdock may answer with no data",
                self.name,
                first,
            )
        self.logger.info(
            "%s: exporting %d %s window(s) %s..%s in %s%s",
            self.name,
            len(plan.windows),
            settings.grain.value,
            first.start,
            last.end,
            settings.timezone,
            f" ({len(plan.lookback)} again for late data)" if plan.lookback else "",
        )
        parallel = min(settings.max_parallel_exports, len(plan.windows))
        if parallel > 1:
            self.logger.info(
                "%s: up to %d exports in flight, at most %d export requests per minute",
                self.name,
                parallel,
                settings.max_requests_per_minute,
            )
        totals = StreamStats(lookback=len(plan.lookback))
        started = time.monotonic()
        zone = settings.timezone
        exports = self._exports(plan.windows)
        try:
            for window, (prepared, stats) in zip(plan.windows, exports, strict=True):
                max_period_end: str | None = None
                try:
                    if prepared is not None:
                        self._warn_drift(prepared)
                        start, end = window.start.isoformat(), window.end.isoformat()
                        for record in prepared.records():
                            record["window_start"] = start
                            record["window_end"] = end
                            record["window_timezone"] = zone
                            period_end = record["period_end"]
                            if max_period_end is None or period_end > max_period_end:
                                max_period_end = period_end
                            yield record
                finally:
                    if prepared is not None:
                        prepared.close()
                self._checkpoint(state, window, max_period_end)
                totals.add(stats)
                self._log_window(window, stats)
        finally:
            # Also when the SDK closes this generator early: prefetched windows' scratch files
            # are dropped and their threads stop.
            exports.close()
        self.logger.info(
            "%s: done: %d window(s) (%d empty, %d again for late data), %d rows, %s, "
            "%d request(s), %d retr%s, %d re-export(s), %.1f s",
            self.name,
            totals.windows,
            totals.empty,
            totals.lookback,
            totals.rows,
            _size(totals.bytes),
            totals.requests,
            totals.retries,
            "y" if totals.retries == 1 else "ies",
            totals.re_exports,
            time.monotonic() - started,
        )

    def _log_window(self, window: Window, stats: WindowStats) -> None:
        if stats.empty:
            rows = "no data (HTTP 404)"
        else:
            expected = "?" if stats.record_count is None else str(stats.record_count)
            rows = f"{stats.rows} rows (recordCount {expected}), {_size(stats.bytes)}"
        self.logger.info(
            "%s: %s, %d request(s), %d retr%s, %.2f s",
            self._where(window),
            rows,
            stats.requests,
            stats.retries,
            "y" if stats.retries == 1 else "ies",
            stats.seconds,
        )

    def _warn_once(self, key: str, message: str, *args: t.Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            self.logger.warning(message, *args)

    def _warn_drift(self, prepared: PreparedFile) -> None:
        plan = prepared.plan
        if plan is None:
            return
        new = [name for name, _ in plan.extra if f"extra:{name}" not in self._warned]
        if new:
            self._warned.update(f"extra:{name}" for name in new)
            self.logger.warning(
                "%s: Langdock sent column(s) this tap does not know: %s; their values are kept "
                "as text in %s",
                self.name,
                ", ".join(new),
                EXTRA_COLUMNS,
            )
        gone = [name for name in plan.missing if f"missing:{name}" not in self._warned]
        if gone:
            self._warned.update(f"missing:{name}" for name in gone)
            self.logger.warning(
                "%s: column(s) missing from Langdock's file, loaded as null: %s (normal when "
                "user-level data is disabled or the workspace does not bring its own keys)",
                self.name,
                ", ".join(gone),
            )

    # Windows in order, exported ahead on threads when allowed

    def _exports(
        self, windows: t.Sequence[Window]
    ) -> t.Generator[tuple[PreparedFile | None, WindowStats], None, None]:
        """Each window's export, in window order; up to max_parallel_exports run ahead."""
        parallel = min(self.settings.max_parallel_exports, len(windows))
        if parallel <= 1:
            for window in windows:
                yield self._export_window(window)
            return
        pipeline = Prefetch(
            windows,
            self._export_window_in_thread,
            parallel=parallel,
            discard=_discard_export,
            worker_done=self._close_thread_sessions,
            name=f"tap-langdock-{self.name}",
        )
        try:
            yield from pipeline
        finally:
            pipeline.close()

    def _export_window_in_thread(
        self, window: Window, turn: Turn, stop: threading.Event
    ) -> tuple[PreparedFile | None, WindowStats]:
        if getattr(self._thread, "sessions", None) is None:
            self._thread.sessions = (requests.Session(), _storage_session())
        return self._export_window(window, turn=turn, stop=stop)

    def _close_thread_sessions(self) -> None:
        sessions = getattr(self._thread, "sessions", None)
        self._thread.sessions = None
        for session in sessions or ():
            session.close()

    def _sessions(self) -> tuple[requests.Session, requests.Session]:
        """(API session with the key, storage session without it) for the calling thread."""
        own: tuple[requests.Session, requests.Session] | None
        own = getattr(self._thread, "sessions", None)
        return own or (self.requests_session, self._storage)

    @property
    def rate_limiter(self) -> RateLimiter:
        """The process-wide budget of export requests for this API."""
        settings = self.settings
        return shared_limiter(settings.api_url, settings.max_requests_per_minute)

    # One window: export, download, check

    def _export_window(
        self,
        window: Window,
        *,
        turn: Turn | None = None,
        stop: threading.Event | None = None,
    ) -> tuple[PreparedFile | None, WindowStats]:
        stats = WindowStats()
        started = time.monotonic()
        budget = retries.RetryBudget(self.settings.max_retry_seconds)
        envelope: _Envelope | None = None
        refused = bad_responses = bad_files = unreachable = 0
        try:
            while True:
                _check(stop)
                try:
                    if envelope is None:
                        answer = self._request_export(window, stats, turn=turn, stop=stop)
                        turn = None  # only the first request of a window waits its turn
                        if answer is _NO_DATA:
                            stats.empty = True
                            return None, stats
                        envelope = t.cast("_Envelope", answer)
                    prepared = self._download_and_prepare(window, envelope, stats)
                except _Transient as exc:
                    if isinstance(exc, _Unreachable) and not self._tap_reached_langdock():
                        unreachable += 1
                        if unreachable >= MAX_UNREACHABLE_AT_START:
                            host = urllib.parse.urlsplit(self.url_base).netloc
                            msg = (
                                f"{self._where(window)}: cannot connect to {host} "
                                f"({unreachable} attempts): check api_url and that this "
                                "machine can reach it"
                            )
                            raise ExportError(msg) from None
                    _check(stop)
                    self._retry_or_fail(window, budget, stats, exc)
                except _UrlRefused as exc:
                    refused += 1
                    envelope = None
                    self._again_or_fail(window, stats, refused, MAX_URL_REFRESHES, str(exc))
                except _BadResponse as exc:
                    bad_responses += 1
                    envelope = None
                    self._again_or_fail(window, stats, bad_responses, MAX_BAD_RESPONSES, str(exc))
                except FileRejected as exc:
                    bad_files += 1
                    envelope = None
                    self._again_or_fail(window, stats, bad_files, MAX_BAD_FILES, str(exc))
                else:
                    return prepared, stats
        finally:
            stats.seconds = time.monotonic() - started

    def _retry_or_fail(
        self, window: Window, budget: retries.RetryBudget, stats: WindowStats, exc: _Transient
    ) -> None:
        remaining = budget.remaining()
        delay = budget.wait(exc.retry_after)
        if delay is None:
            msg = (
                f"{self._where(window)}: {exc.reason}; gave up after {stats.requests} "
                f"request(s) because the retry budget (max_retry_seconds="
                f"{self.settings.max_retry_seconds:.0f}) ran out. Windows before this one are "
                "loaded and bookmarked: run again later to continue from here"
            )
            raise ExportError(msg)
        stats.retries += 1
        self.logger.warning(
            "%s: %s; retrying in %.1f s (retry %d, %.0f s of retry budget left)",
            self._where(window),
            exc.reason,
            delay,
            stats.retries,
            max(remaining - delay, 0),
        )

    def _again_or_fail(
        self, window: Window, stats: WindowStats, count: int, limit: int, reason: str
    ) -> None:
        if count > limit:
            msg = (
                f"{self._where(window)}: {reason} (still after {count} export(s)). No row of "
                "this window was emitted and the bookmark stays before it; if it persists, "
                "report it to Langdock with the window and stream"
            )
            raise ExportError(msg)
        stats.re_exports += 1
        self.logger.warning(
            "%s: %s; asking Langdock for a fresh export (%d of %d)",
            self._where(window),
            reason,
            count,
            limit,
        )

    def _request_body(self, window: Window) -> dict[str, t.Any]:
        start, end = window.request_range()
        zone = self.settings.timezone
        body: dict[str, t.Any] = {
            "from": {"date": start, "timezone": zone},
            "to": {"date": end, "timezone": zone},
        }
        if self.group_by is not None:
            body["group_by"] = self.group_by
        return body

    def _request_export(
        self,
        window: Window,
        stats: WindowStats,
        *,
        turn: Turn | None = None,
        stop: threading.Event | None = None,
    ) -> _Envelope | object:
        response = self._send_export(window, stats, turn, stop)
        t.cast("t.Any", self._tap).reached_langdock = True
        with response:
            status = response.status_code
            try:
                body = _read_limited(response, MAX_ENVELOPE_BYTES)
            except requests.RequestException as exc:
                msg = f"Langdock's answer was cut off ({type(exc).__name__})"
                raise _Transient(msg) from None
            retry_after = retries.parse_retry_after(response.headers.get("Retry-After"))
        if status == 200:
            if body is None:
                msg = f"Langdock's answer is larger than {MAX_ENVELOPE_BYTES} bytes"
                raise _BadResponse(msg)
            return self._parse_envelope(body)
        problem = _error_text(body)
        if status in TRANSIENT_STATUSES or status >= 500:
            raise _Transient(f"HTTP {status} from Langdock{problem}", retry_after)
        where = self._where(window)
        if status in (401, 403):
            msg = (
                f"{where}: Langdock rejected the API key (HTTP {status}{problem}): check it "
                "and that it has the USAGE_EXPORT_API scope"
            )
            raise ExportError(msg)
        if status == 404:
            if _is_no_data(problem):
                return _NO_DATA
            msg = (
                f"{where}: HTTP 404 from {self.path}{problem}: check api_url (cloud: "
                "https://api.langdock.com; dedicated deployments: https://<host>/api/public)"
            )
            raise ExportError(msg)
        if status == 400:
            hint = "check the window and settings"
            if "too large" in problem.lower():
                hint = (
                    "a shorter window does not help: Langdock returns one row per entity for "
                    "the whole period, so the row count does not shrink with the range; "
                    "ask Langdock to raise the limit"
                )
            msg = f"{where}: Langdock refused the export (HTTP 400{problem}): {hint}"
            raise ExportError(msg)
        msg = f"{where}: unexpected HTTP {status} from Langdock{problem}"
        raise ExportError(msg)

    def _send_export(
        self,
        window: Window,
        stats: WindowStats,
        turn: Turn | None,
        stop: threading.Event | None,
    ) -> requests.Response:
        session, _ = self._sessions()
        request = requests.Request(
            method="POST",
            url=self.get_url(None),
            json=self._request_body(window),
            headers={**self.http_headers, "Accept": "application/json"},
        )
        # What build_prepared_request() does, on this thread's session.
        request.headers.setdefault("User-Agent", self.user_agent)
        session.auth = self.authenticator
        prepared = session.prepare_request(request)
        if turn is not None:
            turn.wait(stop)
        try:
            self.rate_limiter.acquire(stop)
        except Stopped:
            raise Cancelled from None
        if turn is not None:
            turn.sent()
        stats.requests += 1
        try:
            return session.send(prepared, timeout=self.timeout, stream=True)
        except requests.Timeout:
            msg = f"Langdock did not answer within {self.timeout} s"
            raise _Transient(msg) from None
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                msg = f"cannot connect to Langdock ({type(exc).__name__})"
                raise _Unreachable(msg) from None
            msg = f"connection to Langdock dropped ({type(exc).__name__})"
            raise _Transient(msg) from None
        except requests.RequestException as exc:
            msg = f"request to Langdock failed ({type(exc).__name__})"
            raise _Transient(msg) from None
        finally:
            if turn is not None:
                turn.answered()

    def _tap_reached_langdock(self) -> bool:
        # Per run, not per stream: once any stream got an answer, api_url is right and a
        # failed connection is a passing fault to retry within the budget.
        return bool(getattr(self._tap, "reached_langdock", False))

    def _parse_envelope(self, body: bytes) -> _Envelope:
        try:
            document = json.loads(body)
        except ValueError:
            msg = "Langdock answered HTTP 200 with a body that is not JSON"
            raise _BadResponse(msg) from None
        if not isinstance(document, dict):
            msg = "Langdock answered HTTP 200 with JSON that is not an object"
            raise _BadResponse(msg)
        if document.get("success") is not True:
            msg = f"Langdock answered HTTP 200 with success={document.get('success')!r}"
            raise _BadResponse(msg + _error_text(body))
        data = document.get("data")
        url = data.get("downloadUrl") if isinstance(data, dict) else None
        if not isinstance(url, str) or not url:
            msg = "Langdock's answer has no data.downloadUrl"
            raise _BadResponse(msg)
        # The docs promise an absolute URI; a relative one is read against the API host rather
        # than failing the run.
        url = urllib.parse.urljoin(self.url_base + "/", url)
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = f"data.downloadUrl is not an http(s) URL (scheme {parts.scheme[:10]!r})"
            raise _BadResponse(msg)
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            msg = "data.downloadUrl uses plain http to a non-loopback host"
            raise _BadResponse(msg)
        assert isinstance(data, dict)
        count = data.get("recordCount")
        if isinstance(count, str) and count.strip().isdigit():
            count = int(count)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            count = None
        file_path = data.get("filePath")
        return _Envelope(
            download_url=url,
            record_count=count,
            file_path=file_path if isinstance(file_path, str) else "",
        )

    def _download_and_prepare(
        self, window: Window, envelope: _Envelope, stats: WindowStats
    ) -> PreparedFile:
        handle, path = tempfile.mkstemp(prefix="tap-langdock-", suffix=".csv")
        try:
            with os.fdopen(handle, "wb") as sink:
                stats.bytes = self._download(envelope, sink, stats)
            prepared = prepare_file(path, self.columns, self.primary_keys, self.settings.pii)
        finally:
            os.unlink(path)
        if envelope.record_count is not None and prepared.rows != envelope.record_count:
            prepared.close()
            msg = (
                f"the file has {prepared.rows} rows but Langdock's recordCount is "
                f"{envelope.record_count}"
            )
            raise FileRejected(msg)
        if envelope.record_count is None:
            self._warn_once(
                "record_count",
                "%s: Langdock's answer has no recordCount; files cannot be checked for "
                "completeness beyond their length",
                self.name,
            )
        stats.rows = prepared.rows
        stats.record_count = envelope.record_count
        return prepared

    def _download(self, envelope: _Envelope, sink: t.IO[bytes], stats: WindowStats) -> int:
        stats.requests += 1
        timeout = self.timeout
        _, storage = self._sessions()
        try:
            response = storage.get(
                envelope.download_url,
                stream=True,
                timeout=(min(timeout, 60), timeout),
                headers={"User-Agent": self.user_agent},
            )
        except requests.Timeout:
            msg = f"the file storage did not answer within {timeout} s"
            raise _Transient(msg) from None
        except requests.RequestException as exc:
            msg = f"connection to the file storage failed ({type(exc).__name__})"
            raise _Transient(msg) from None
        with response:
            status = response.status_code
            if status in (400, 401, 403, 404, 410):
                msg = f"the file storage refused the download link (HTTP {status})"
                raise _UrlRefused(msg)
            if status != 200:
                retry_after = retries.parse_retry_after(response.headers.get("Retry-After"))
                msg = f"HTTP {status} from the file storage"
                raise _Transient(msg, retry_after)
            # Content-Length counts encoded bytes; after gzip decoding only a length-less
            # check (recordCount) is possible.
            encoded = response.headers.get("Content-Encoding", "identity") != "identity"
            expected = None if encoded else _int_or_none(response.headers.get("Content-Length"))
            received = 0
            try:
                for chunk in response.iter_content(DOWNLOAD_CHUNK):
                    sink.write(chunk)
                    received += len(chunk)
            except requests.RequestException as exc:
                msg = f"the download was cut off after {_size(received)} ({type(exc).__name__})"
                raise _Transient(msg) from None
        if expected is not None and received != expected:
            msg = f"the download was cut off: {received} of {expected} bytes"
            raise _Transient(msg)
        return received


def _storage_session() -> requests.Session:
    session = requests.Session()
    session.auth = _NoAuth()
    return session


def _check(stop: threading.Event | None) -> None:
    """Give up a prefetched window at a step boundary once the run is stopping."""
    if stop is not None and stop.is_set():
        raise Cancelled


def _discard_export(export: tuple[PreparedFile | None, WindowStats]) -> None:
    prepared, _ = export
    if prepared is not None:
        prepared.close()


def _never_connected(exc: requests.ConnectionError) -> bool:
    """Whether the connection was never made (refused, name not found), not dropped later."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _read_limited(response: requests.Response, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (then it is not read further)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _is_no_data(problem: str) -> bool:
    """Langdock's 404 for an empty period, told apart from a 404 for a wrong route.

    ``problem`` is `_error_text` of the body: empty unless the body is Langdock's JSON error.
    """
    text = problem.lower()
    return "no data" in text or "no usage data" in text


def _error_text(body: bytes | None) -> str:
    """Langdock's own error text as ': <error>: <message>', short and printable."""
    try:
        document = json.loads(body or b"")
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    parts = [
        str(document[key]).strip()
        for key in ("error", "message")
        if isinstance(document.get(key), str) and document[key].strip()
    ]
    if len(parts) == 2 and parts[1].startswith(parts[0]):
        parts = parts[1:]
    text = " ".join(": ".join(parts).split())
    return f": {text[:300]}" if text else ""


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / (1024 * 1024):.1f} MiB"


# urllib3 logs every request line, query string included, at DEBUG: with LOGLEVEL=DEBUG that
# would print signed download URLs.
logging.getLogger("urllib3").setLevel(max(logging.getLogger("urllib3").level, logging.INFO))
