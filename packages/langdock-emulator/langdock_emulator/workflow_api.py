"""The emulator's Workflow API: ``GET /workflows/v1/list`` and ``GET /workflows/v1/runs``.

Both are cursor-paged (``nextCursor``, null on the last page), answer in camelCase as
Langdock's pages show, and take a Bearer key: the Workflow API's own when configured, else
the emulator's. What Langdock's docs leave open is a setting (`WorkflowSettings`): the order
of runs, how many items a page holds whatever ``limit`` asks, which workflows the key may
not read (403 on their runs, for stream isolation), and whether JSON strings carry raw
control characters (third-party clients report that Langdock sends them). Statuses move on
with ``clock``; `deleted` workflows disappear from the list and answer 404.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import json
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from langdock_emulator.api_reply import NOT_JSON, RESET, ApiReply, error_answer, rate_limited
from langdock_emulator.faults import Fault, FaultSchedule
from langdock_emulator.workflow_data import OPEN_STATUSES, UTC, WorkflowData, WorkflowRun

WORKFLOW_ROUTE = re.compile(r"(?:/api/public|/api)?/workflows/v1/(list|runs)/?")
WORKFLOW_FAULT_KINDS = frozenset(
    {"rate_limit", "server_error", "reset", "unauthorized", "not_json", "slow"}
)
LIST_MAX, RUNS_MAX = 250, 100
# JSON escapes of control characters the raw mode sends unescaped. The seeded data holds
# no backslashes, so none of these can be part of another escape.
_RAW = {"\\t": "\t", "\\n": "\n", "\\u0007": "\x07", "\\u000b": "\x0b"}
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(UTC)


@dataclasses.dataclass
class WorkflowSettings:
    """How this Workflow API behaves where Langdock's docs say nothing."""

    api_key: str | None = None
    """Key with the WORKFLOW_API scope; None: the emulator's key carries it."""
    order: str = "newest_first"
    page_size: int = RUNS_MAX
    raw_control_characters: bool = False
    forbidden: set[str] = dataclasses.field(default_factory=set)
    """Workflows whose runs the key may not read (403)."""
    deleted: set[str] = dataclasses.field(default_factory=set)
    finished: set[str] = dataclasses.field(default_factory=set)
    """Runs shown final whatever the clock says (`finish_open_runs`)."""
    unknown_fields: bool = True
    """Workflows carry ``folder`` and runs ``triggerType``, fields no Langdock page
    documents (the tap keeps them in ``_extra_fields``)."""


@dataclasses.dataclass(frozen=True)
class WorkflowRequestLog:
    """One request; ``status`` is 0 when the connection was reset."""

    endpoint: str
    params: dict[str, str]
    status: int
    authorized: bool


class BadRequest(ValueError):
    """A query Langdock would answer with 400."""


class WorkflowApi:
    """The workspace's Workflow API, its faults and ground truth."""

    def __init__(
        self,
        seed: int,
        *,
        settings: WorkflowSettings | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        period_start: dt.datetime | None = None,
    ) -> None:
        self.data = WorkflowData(seed, period_start) if period_start else WorkflowData(seed)
        self.settings = settings or WorkflowSettings()
        self._initial = dataclasses.replace(self.settings)
        self.clock: Callable[[], dt.datetime] = clock or _utc_now
        self.requests: list[WorkflowRequestLog] = []
        self._faults = FaultSchedule()
        self._lock = threading.Lock()

    # --- test-facing API -------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        """Queue a fault (kinds: WORKFLOW_FAULT_KINDS) for the next requests."""
        if fault.kind not in WORKFLOW_FAULT_KINDS:
            raise ValueError(f"workflow routes take {sorted(WORKFLOW_FAULT_KINDS)}")
        self._faults.add(fault)

    def reset(self) -> None:
        """Back to the settings given at construction; faults and request log cleared."""
        self._faults.clear()
        with self._lock:
            self._faults.log.clear()
            self.requests.clear()
            self.settings = dataclasses.replace(
                self._initial,
                forbidden=set(self._initial.forbidden),
                deleted=set(self._initial.deleted),
                finished=set(self._initial.finished),
            )

    def finish_open_runs(self) -> set[str]:
        """Let every run still going now end at once (for tests whose clock cannot move,
        e.g. a subprocess tap on the real clock); returns their ids."""
        now = self.clock()
        going = {
            run.id
            for workflow_id in self.workflow_ids(now)
            for run in self.data.runs(workflow_id)
            if run.created_at <= now and run.status(now) in OPEN_STATUSES
        }
        self.settings.finished |= going
        return going

    def _now_for(self, run: WorkflowRun, now: dt.datetime) -> dt.datetime:
        return max(now, run.ended_at) if run.id in self.settings.finished else now

    def workflow_ids(self, now: dt.datetime | None = None) -> list[str]:
        """The workflows the list shows at ``now``, oldest first."""
        now = now or self.clock()
        return [w.id for w in self.data.listed(now) if w.id not in self.settings.deleted]

    def truth_workflows(self, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        now = now or self.clock()
        return [w.payload for w in self.data.listed(now) if w.id not in self.settings.deleted]

    def truth_runs(
        self, start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        """Run objects shown at ``now`` of runs created in [start, end) of listed workflows."""
        now = now or self.clock()
        return [
            run.payload(self._now_for(run, now))
            for workflow_id in self.workflow_ids(now)
            for run in self.data.created(workflow_id, start, end)
            if run.created_at < end and run.created_at <= now
        ]

    # --- HTTP ------------------------------------------------------------------------------

    def handle(
        self, method: str, endpoint: str, query: str, headers: Any, usage_key: str
    ) -> ApiReply:
        """Answer one request to ``/workflows/v1/<endpoint>``."""
        params = {name: values[0] for name, values in parse_qs(query).items() if values}
        authorized = self._authorized(headers, usage_key)
        if method != "GET":
            reply = error_answer(405, "Method Not Allowed", "Workflow read routes accept GET only")
        else:
            fault = self._faults.take("export", None, WORKFLOW_FAULT_KINDS, "/workflows/v1")
            reply = self._reply(endpoint, params, authorized, fault)
        with self._lock:
            self.requests.append(
                WorkflowRequestLog(endpoint, params, 0 if reply.reset else reply.status, authorized)
            )
        return reply

    def _authorized(self, headers: Any, usage_key: str) -> bool:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        key = self.settings.api_key or usage_key
        return scheme.lower() == "bearer" and hmac.compare_digest(
            token.strip().encode(), key.encode()
        )

    def _reply(
        self, endpoint: str, params: dict[str, str], authorized: bool, fault: Fault | None
    ) -> ApiReply:
        if fault is not None:
            faulted = _fault_reply(fault)
            if faulted is not None:
                return faulted
            time.sleep(fault.delay if fault.delay is not None else 0.2)
        if not authorized:
            return error_answer(401, "Unauthorized", "Invalid or missing API key")
        try:
            page = self._list(params) if endpoint == "list" else self._runs(params)
        except BadRequest as exc:
            return error_answer(400, "Bad Request", str(exc))
        except PermissionError:
            return error_answer(403, "INSUFFICIENT_ACCESS", "The API key has no editor access")
        except LookupError:
            return error_answer(404, "Not Found", "Workflow not found")
        body = json.dumps(page, ensure_ascii=False)
        if self.settings.raw_control_characters:
            for escaped, raw in _RAW.items():
                body = body.replace(escaped, raw)
        return ApiReply(200, body.encode())

    def _list(self, params: dict[str, str]) -> dict[str, Any]:
        limit = _limit(params, LIST_MAX, 50)
        workflows = self.truth_workflows()
        cursor = params.get("cursor")
        if cursor is not None:
            ids = [w["id"] for w in workflows]
            if cursor not in ids:
                raise BadRequest("Invalid cursor")
            workflows = workflows[ids.index(cursor) + 1 :]
        size = min(limit, self.settings.page_size)
        page = [self._shown(w, "folder") for w in workflows[:size]]
        more = len(workflows) > size
        return {"workflows": page, "nextCursor": page[-1]["id"] if more else None}

    def _shown(self, body: dict[str, Any], unknown: str) -> dict[str, Any]:
        if self.settings.unknown_fields:
            return body
        return {name: value for name, value in body.items() if name != unknown}

    def _runs(self, params: dict[str, str]) -> dict[str, Any]:
        workflow_id = params.get("workflowId")
        if not workflow_id:
            raise BadRequest("workflowId is required")
        limit = _limit(params, RUNS_MAX, 50)
        now = self.clock()
        if workflow_id not in self.workflow_ids(now):
            raise LookupError(workflow_id)
        if workflow_id in self.settings.forbidden:
            raise PermissionError(workflow_id)
        runs = self._matching(workflow_id, params, now)
        newest_first = self.settings.order == "newest_first"
        runs.sort(key=lambda r: r.key, reverse=newest_first)
        cursor = params.get("cursor")
        if cursor is not None:
            after = next((r for r in self.data.runs(workflow_id) if r.id == cursor), None)
            if after is None:
                raise BadRequest("Invalid cursor")
            runs = [r for r in runs if (r.key < after.key if newest_first else r.key > after.key)]
        size = min(limit, self.settings.page_size)
        page = runs[:size]
        more = len(runs) > size
        shown = [self._shown(run.payload(self._now_for(run, now)), "triggerType") for run in page]
        return {"runs": shown, "nextCursor": page[-1].id if more else None}

    def _matching(
        self, workflow_id: str, params: dict[str, str], now: dt.datetime
    ) -> list[WorkflowRun]:
        start, end = params.get("from"), params.get("to")
        if (start is None) != (end is None):
            raise BadRequest("from and to must be sent together")
        low = _instant(start, "from", end=False) if start else dt.datetime.min.replace(tzinfo=UTC)
        high = _instant(end, "to", end=True) if end else now
        runs = list(self.data.created(workflow_id, low, min(high, now)))
        for name, attribute in (("status", "status"), ("runMode", "run_mode"), ("runId", "id")):
            wanted = params.get(name)
            if wanted is None:
                continue
            if name == "status":
                runs = [r for r in runs if r.status(self._now_for(r, now)) == wanted]
            else:
                runs = [r for r in runs if getattr(r, attribute) == wanted]
        return runs


def _limit(params: dict[str, str], most: int, default: int) -> int:
    text = params.get("limit")
    if text is None:
        return default
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise BadRequest(f"limit must be between 1 and {most}")
    return int(text)


def _instant(text: str, name: str, *, end: bool) -> dt.datetime:
    if not _ISO.fullmatch(text):
        raise BadRequest(f"{name} must be an ISO 8601 date-time with a zone, or YYYY-MM-DD")
    if len(text) == 10:
        day = dt.datetime.fromisoformat(text).replace(tzinfo=UTC)
        return day + dt.timedelta(days=1, milliseconds=-1) if end else day
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


_STATIC_FAULTS: dict[str, ApiReply] = {
    "reset": RESET,
    "unauthorized": error_answer(401, "Unauthorized", "Invalid or missing API key"),
    "not_json": NOT_JSON,
}


def _fault_reply(fault: Fault) -> ApiReply | None:
    """The reply that replaces normal handling, or None for ``slow`` (which only delays)."""
    if fault.kind == "rate_limit":
        return rate_limited(fault.retry_after)
    if fault.kind == "server_error":
        return error_answer(fault.status or 500, "Internal Server Error", "Something went wrong")
    return _STATIC_FAULTS.get(fault.kind)
