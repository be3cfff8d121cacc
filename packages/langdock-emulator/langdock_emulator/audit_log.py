"""The emulator's Audit Logs API: ``GET /audit-logs/{workspace_id}``, also under /api/public.

What Langdock's docs leave open is a setting here (`AuditSettings`), so tests can prove the
tap depends on none of it: the sort order, whether ``from``/``to`` are inclusive, how many
entries a page holds whatever ``limit`` asks, and whether cursors are stable (an entry id,
read as a keyset position) or not (an offset, which shifts when late entries arrive). The
log has 90-day retention and entries that show up late, both measured on ``clock``.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hmac
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs

from langdock_emulator.api_reply import (
    NOT_JSON,
    RESET,
    ApiReply,
    error_answer,
    html_answer,
    json_answer,
    rate_limited,
)
from langdock_emulator.audit_data import UTC, AuditEntry, AuditLogData
from langdock_emulator.audit_query import (
    MAX_LIMIT,
    Query,
    after_start,
    before_end,
    offset_of,
    parse_query,
)
from langdock_emulator.dates import BadRequestError
from langdock_emulator.faults import Fault, FaultSchedule

AUDIT_ROUTE = re.compile(r"(?:/api/public|/api)?/audit-logs/([^/]+)/?")
ORDERS = ("newest_first", "oldest_first")
BOUNDS = ("inclusive", "exclusive", "half_open")
CURSORS = ("id", "offset")
AUDIT_FAULT_KINDS = frozenset(
    {
        "rate_limit",
        "server_error",
        "html_error",
        "reset",
        "unauthorized",
        "forbidden",
        "not_json",
        "slow",
    }
)
_RATE_SECONDS = 60.0


def _utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


@dataclasses.dataclass
class AuditSettings:
    """How this Audit Logs API behaves where Langdock's docs say nothing."""

    api_key: str | None = None
    """Key with the AUDIT_LOG_API scope; None: the emulator's key carries both scopes."""
    order: str = "newest_first"
    bounds: str = "inclusive"
    """inclusive: from <= t <= to; exclusive: from < t < to; half_open: from <= t < to."""
    page_size: int = MAX_LIMIT
    """Most entries per page, even when ``limit`` asks for more."""
    cursor: str = "id"
    late_max_seconds: float = 600.0
    entries_per_day: int | None = None
    """At most this many entries a UTC day; None: all the log generates (about 216)."""
    retention_days: int = 90
    rate_limit_per_minute: int | None = None

    def __post_init__(self) -> None:
        if self.order not in ORDERS or self.bounds not in BOUNDS or self.cursor not in CURSORS:
            raise ValueError(f"order in {ORDERS}, bounds in {BOUNDS}, cursor in {CURSORS}")
        if not 1 <= self.page_size <= MAX_LIMIT:
            raise ValueError(f"page_size must be 1..{MAX_LIMIT}")
        if self.entries_per_day is not None and self.entries_per_day < 0:
            raise ValueError("entries_per_day must be >= 0 or None")


@dataclasses.dataclass(frozen=True)
class AuditRequestLog:
    """One request to the audit route. ``status`` is 0 when the connection was reset."""

    workspace_id: str
    params: dict[str, str]
    status: int
    authorized: bool


class AuditLog:
    """The audit log of one workspace, its HTTP route, faults and ground truth."""

    def __init__(
        self,
        seed: int,
        workspace_id: str,
        *,
        settings: AuditSettings | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.data = AuditLogData(seed, workspace_id)
        self.workspace_id = workspace_id
        self.settings = settings or AuditSettings()
        self._initial = dataclasses.replace(self.settings)
        self.clock: Callable[[], dt.datetime] = clock or _utc_now
        self.requests: list[AuditRequestLog] = []
        self._faults = FaultSchedule()
        self._lock = threading.Lock()
        self._starts: collections.deque[float] = collections.deque()
        self._delayed: list[tuple[int, Fault]] = []
        """(request count at which it is queued, fault)."""

    # --- test-facing API -------------------------------------------------------------------

    def add_fault(self, fault: Fault, *, after_requests: int = 0) -> None:
        """Queue a fault (kinds: AUDIT_FAULT_KINDS) for the requests after the next
        ``after_requests`` ones, e.g. to fail a backfill in its third range."""
        if fault.kind not in AUDIT_FAULT_KINDS:
            raise ValueError(f"audit routes take {sorted(AUDIT_FAULT_KINDS)}, not {fault.kind!r}")
        if after_requests > 0:
            with self._lock:
                self._delayed.append((len(self.requests) + after_requests, fault))
        else:
            self._faults.add(fault)

    def set_random_faults(
        self, rate: float | None, seed: int = 0, kinds: Sequence[str | Fault] | None = None
    ) -> None:
        """Fault a ``rate`` share of audit requests, drawn from ``kinds`` by a seeded PRNG."""
        self._faults.set_random(rate, seed, kinds or ("rate_limit", "server_error", "reset"), 0.05)

    def clear_faults(self) -> None:
        """Drop queued and delayed faults and switch random faults off."""
        self._faults.clear()
        with self._lock:
            self._delayed.clear()

    @property
    def fault_log(self) -> list[tuple[str, str, str]]:
        return self._faults.log

    def reset(self) -> None:
        """Back to the settings given at construction; faults and request log cleared."""
        self._faults.clear()
        with self._lock:
            self._faults.log.clear()
            self.requests.clear()
            self._starts.clear()
            self._delayed.clear()
            self.settings = dataclasses.replace(self._initial)

    def visible(
        self, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
    ) -> list[AuditEntry]:
        """Entries with ``start <= created_at < end`` the API shows at ``now``, oldest first."""
        now = now or self.clock()
        oldest = now - dt.timedelta(days=self.settings.retention_days)
        late = self.settings.late_max_seconds
        entries = self.data.between(max(start, oldest), min(end, now))
        if self.settings.entries_per_day is not None:
            entries = self.data.capped(entries, self.settings.entries_per_day)
        return [entry for entry in entries if entry.appears_at(late) <= now]

    def truth(
        self, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        """The API's JSON for `visible` entries: what an archive of [start, end) must hold."""
        return [entry.payload for entry in self.visible(start, end, now)]

    # --- HTTP ------------------------------------------------------------------------------

    def handle(
        self, method: str, workspace_id: str, query: str, headers: Any, usage_key: str
    ) -> ApiReply:
        """Answer one request; ``usage_key`` is the emulator's (usage export) key."""
        params = {name: values[0] for name, values in parse_qs(query).items() if values}
        authorized = self._key_status(headers, usage_key) == "ok"
        if method != "GET":
            reply = error_answer(405, "Method Not Allowed", "Audit log routes accept GET only")
        else:
            self._queue_delayed_faults()
            # The schedule's log labels every API request "export"; audit faults have their own.
            fault = self._faults.take("export", None, AUDIT_FAULT_KINDS, "/audit-logs")
            reply = self._reply(workspace_id, params, headers, usage_key, fault)
        status = 0 if reply.reset else reply.status
        entry = AuditRequestLog(workspace_id, params, status, authorized)
        with self._lock:
            self.requests.append(entry)
        return reply

    def _queue_delayed_faults(self) -> None:
        with self._lock:
            due = [fault for at, fault in self._delayed if at <= len(self.requests)]
            self._delayed = [(at, fault) for at, fault in self._delayed if at > len(self.requests)]
        for fault in due:
            self._faults.add(fault)

    def _reply(
        self,
        workspace_id: str,
        params: dict[str, str],
        headers: Any,
        usage_key: str,
        fault: Fault | None,
    ) -> ApiReply:
        if fault is not None:
            faulted = _fault_reply(fault)
            if faulted is not None:
                return faulted
            time.sleep(fault.delay if fault.delay is not None else 0.2)
        rejection = self._rejection(workspace_id, headers, usage_key)
        if rejection is not None:
            return rejection
        retry_after = self._rate_limit_wait()
        if retry_after is not None:
            reply = error_answer(429, "Too Many Requests", "Rate limit for audit logs API exceeded")
            return dataclasses.replace(reply, headers={"Retry-After": str(retry_after)})
        try:
            query = parse_query(params)
            return json_answer(200, self._page(query))
        except BadRequestError as exc:
            return error_answer(400, "Bad Request", str(exc))

    def _rejection(self, workspace_id: str, headers: Any, usage_key: str) -> ApiReply | None:
        """401 or 403, in the order the docs describe: the key first, then the workspace."""
        key = self._key_status(headers, usage_key)
        if key == "no_scope":
            return error_answer(403, "Forbidden", "API key lacks the AUDIT_LOG_API scope")
        if key != "ok":
            return error_answer(401, "Unauthorized", "Invalid or missing API key")
        if workspace_id != self.workspace_id:
            return error_answer(403, "Forbidden", "API key does not belong to this workspace")
        return None

    def _key_status(self, headers: Any, usage_key: str) -> str:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        given = token.strip().encode()
        audit_key = self.settings.api_key or usage_key
        if scheme.lower() == "bearer" and hmac.compare_digest(given, audit_key.encode()):
            return "ok"
        if scheme.lower() == "bearer" and hmac.compare_digest(given, usage_key.encode()):
            return "no_scope"
        return "unknown"

    def _rate_limit_wait(self) -> int | None:
        limit = self.settings.rate_limit_per_minute
        if limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            while self._starts and self._starts[0] <= now - _RATE_SECONDS:
                self._starts.popleft()
            if len(self._starts) >= limit:
                return max(1, math.ceil(self._starts[0] + _RATE_SECONDS - now))
            self._starts.append(now)
            return None

    def _page(self, query: Query) -> dict[str, Any]:
        settings = self.settings
        entries = self._matching(query)
        newest_first = settings.order == "newest_first"
        entries.sort(key=lambda e: e.key, reverse=newest_first)
        offset = 0
        if query.cursor is not None and settings.cursor == "offset":
            offset = offset_of(query.cursor)
        elif query.cursor is not None:
            after = self.data.find(query.cursor)
            if after is None:
                raise BadRequestError("Invalid cursor")
            # A keyset position: stable however many entries arrive meanwhile.
            if newest_first:
                entries = [e for e in entries if e.key < after.key]
            else:
                entries = [e for e in entries if e.key > after.key]
        size = min(query.limit, settings.page_size)
        page = entries[offset : offset + size]
        more = len(entries) > offset + size
        next_cursor = None
        if more and settings.cursor == "offset":
            next_cursor = f"off_{offset + size}"
        elif more:
            next_cursor = page[-1].id
        return {"data": [entry.payload for entry in page], "next_cursor": next_cursor}

    def _matching(self, query: Query) -> list[AuditEntry]:
        now = self.clock()
        far = dt.timedelta(days=self.settings.retention_days + 1)
        start = query.start or now - far
        end = query.end or now
        # One microsecond past `end`, so an entry exactly at `to` is a candidate for
        # inclusive bounds; the bound checks below decide.
        found = self.visible(start, end + dt.timedelta(microseconds=1), now)
        bounds = self.settings.bounds
        return [
            e
            for e in found
            if (query.start is None or after_start(e.created_at, query.start, bounds))
            and (query.end is None or before_end(e.created_at, query.end, bounds))
            and query.entity_type in (None, e.payload["entity_type"])
            and query.actor_id in (None, e.payload["actor_id"])
        ]


_STATIC_FAULTS: dict[str, ApiReply] = {
    "reset": RESET,
    "unauthorized": error_answer(401, "Unauthorized", "Invalid or missing API key"),
    "forbidden": error_answer(403, "Forbidden", "API key lacks the AUDIT_LOG_API scope"),
    "not_json": NOT_JSON,
}


def _fault_reply(fault: Fault) -> ApiReply | None:
    """The reply that replaces normal handling, or None for ``slow`` (which only delays)."""
    kind = fault.kind
    if kind == "rate_limit":
        return rate_limited(fault.retry_after)
    if kind == "server_error" and (fault.status or 500) == 500:
        return error_answer(500, "Internal Server Error", "Something went wrong")
    if kind in {"server_error", "html_error"}:
        status = fault.status or 502
        return html_answer(status, "Bad Gateway" if status == 502 else "Service Unavailable")
    return _STATIC_FAULTS.get(kind)
