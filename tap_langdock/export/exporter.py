"""One window through export, download and file check, within its limits.

Every answer arrives classified (`protocol.Answer`); what to do with it is the table in
`_handle`: wait and retry the same step within the time budget, ask for a fresh export up to
`REEXPORT_LIMITS` times per cause, or stop. Windows run in order, or ahead on worker threads
through `Prefetch`; `RequestGate` keeps their export requests in window order and inside the
run's rate limit.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import typing as t
import urllib.parse
from dataclasses import dataclass

from tap_langdock import retries
from tap_langdock.concurrency import Outcome as Load
from tap_langdock.concurrency import Permit, outcome_for_status
from tap_langdock.csv_records import PreparedFile, prepare
from tap_langdock.errors import ExportError, FileRejected, Unreachable
from tap_langdock.export import protocol
from tap_langdock.export.protocol import Answer, Cause, Outcome
from tap_langdock.prefetch import Cancelled, Prefetch, Turn
from tap_langdock.progress import WindowStats
from tap_langdock.rate_limit import Stopped

if t.TYPE_CHECKING:
    from tap_langdock.columns import Column
    from tap_langdock.export.transport import ExportApi
    from tap_langdock.progress import Progress
    from tap_langdock.run import Run
    from tap_langdock.windows import Window

REEXPORT_LIMITS: dict[Cause, int] = {
    Cause.URL_REFUSED: 3,
    Cause.BAD_RESPONSE: 3,
    Cause.BAD_FILE: 2,
}
MAX_UNREACHABLE_AT_START = 3


@dataclass(frozen=True)
class ExportJob:
    """What the exporter needs to know of its stream."""

    path: str
    group_by: str | None
    columns: tuple[Column, ...]
    keys: tuple[str, ...]


@dataclass
class ExportResult:
    """One window's file (None: Langdock had no data) and what it cost."""

    file: PreparedFile | None
    stats: WindowStats

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()


class RequestGate:
    """Around one export request: the window's turn, a permit, a rate-limit slot, in order.

    Only the first request of a window waits for its turn (after the previous window's first
    request); retries and fresh exports only wait for a permit and a slot. The permit comes
    from the run's adaptive limit, which learns from the answer's status how much Langdock
    sustains; it is held through the rate-limit wait, but latency counts from the send.
    """

    def __init__(self, run: Run, turn: Turn | None, stop: threading.Event | None) -> None:
        self._run = run
        self._turn = turn
        self._stop = stop
        self._permit: Permit | None = None
        self.status: int | None = None
        """The answer's HTTP status; None while there is none (then it counts as an error)."""

    def __enter__(self) -> RequestGate:
        if self._turn is not None:
            self._turn.wait(self._stop)
        limit = self._run.concurrency
        try:
            self._permit = limit.acquire(self._stop)
            self._run.limiter.acquire(self._stop)
        except Stopped:
            self._give_back(Load.IGNORE)
            raise Cancelled from None
        try:
            self._run.raise_if_stopping()
        except BaseException:
            self._give_back(Load.IGNORE)
            raise
        limit.sent(self._permit)
        if self._turn is not None:
            self._turn.sent()
        self.status = None
        return self

    def __exit__(self, *_: object) -> None:
        self._give_back(outcome_for_status(self.status))
        if self._turn is not None:
            self._turn.answered()
            self._turn = None

    def _give_back(self, outcome: Load) -> None:
        if self._permit is not None:
            self._run.concurrency.release(self._permit, outcome)
            self._permit = None


class _Tries:
    """One window on its way: what it has been through, checked against its limits."""

    def __init__(self, window: Window, seconds: float, stop: threading.Event | None) -> None:
        self.window = window
        self.stats = WindowStats()
        self.stop = stop
        self.budget = retries.RetryBudget(seconds)
        self.fresh: dict[Cause, int] = dict.fromkeys(Cause, 0)
        self.unreachable = 0
        self._failing: str | None = None
        self._streak = 0

    def failed(self, step: str) -> int:
        """Count a failure of ``step``: how many in a row it has failed."""
        self._streak = self._streak + 1 if step == self._failing else 1
        self._failing = step
        return self._streak

    def succeeded(self) -> None:
        self._failing, self._streak = None, 0


class WindowExporter:
    """Exports the windows of one stream."""

    def __init__(self, api: ExportApi, run: Run, job: ExportJob, progress: Progress) -> None:
        self._api = api
        self._run = run
        self._job = job
        self._progress = progress
        self._settings = run.settings

    def close(self) -> None:
        """Close the calling thread's sessions (worker threads close their own)."""
        self._api.close_thread_sessions()

    def parallel(self, windows: int) -> int:
        """How many windows are exported at once for a plan of ``windows``."""
        return min(self._settings.max_parallel_exports, windows)

    def exports(self, windows: t.Sequence[Window]) -> t.Generator[ExportResult, None, None]:
        """Each window's export, in window order; up to max_parallel_exports run ahead."""
        parallel = self.parallel(len(windows))
        if parallel <= 1:
            for window in windows:
                yield self.export(window)
            return
        pipeline = Prefetch(
            windows,
            self.export,
            parallel=parallel,
            discard=ExportResult.discard,
            worker_done=self._api.close_thread_sessions,
            name=f"tap-langdock-{self._progress.stream}",
        )
        try:
            yield from pipeline
        finally:
            pipeline.close()

    def export(
        self, window: Window, turn: Turn | None = None, stop: threading.Event | None = None
    ) -> ExportResult:
        """Export, download and check one window; raise `ExportError` when it cannot be had."""
        started = time.monotonic()
        tries = _Tries(window, self._settings.max_retry_seconds, stop)
        stats = tries.stats
        gate = RequestGate(self._run, turn, stop)
        envelope: protocol.Envelope | None = None
        try:
            while True:
                _check(stop)
                if envelope is None:
                    answer = self._request(window, gate, stats)
                    if answer.outcome is Outcome.NO_DATA:
                        stats.empty = True
                        return ExportResult(None, stats)
                    if answer.outcome is Outcome.OK:
                        envelope = answer.envelope
                        tries.succeeded()
                        continue
                    step = "export"
                else:
                    fetched = self._fetch(envelope, stats)
                    if isinstance(fetched, PreparedFile):
                        return ExportResult(fetched, stats)
                    answer, step = fetched, "download"
                if self._handle(answer, step, tries):
                    envelope = None
        finally:
            stats.seconds = time.monotonic() - started

    def _request(self, window: Window, gate: RequestGate, stats: WindowStats) -> Answer:
        job = self._job
        body = protocol.request_body(window, self._settings.timezone, job.group_by)
        with gate:
            stats.requests += 1
            reply = self._api.post_export(job.path, body)
            if isinstance(reply, Answer):
                return reply
            gate.status = reply.status
            answer = protocol.classify_export(
                reply.status,
                reply.body,
                reply.retry_after,
                where=self._progress.where(window),
                path=job.path,
                base_url=self._api.url_base,
                grouped=job.group_by is not None,
            )
            # Before the next window's turn: after a rejected key, no other request goes out.
            if answer.outcome is Outcome.FAIL and answer.error.run_wide:
                self._run.stop(answer.error(answer.message))
            return answer

    def _fetch(self, envelope: protocol.Envelope, stats: WindowStats) -> PreparedFile | Answer:
        stats.requests += 1
        handle, path = tempfile.mkstemp(prefix="tap-langdock-", suffix=".csv")
        try:
            with os.fdopen(handle, "wb") as sink:
                received = self._api.download(envelope.download_url, sink)
            if isinstance(received, Answer):
                return received
            stats.bytes = received
            try:
                prepared = prepare(path, self._job.columns, self._job.keys, self._settings.pii)
            except FileRejected as exc:
                return protocol.new_export(Cause.BAD_FILE, str(exc))
        finally:
            os.unlink(path)
        expected = envelope.record_count
        if expected is not None and prepared.rows != expected:
            prepared.close()
            msg = f"the file has {prepared.rows} rows but Langdock's recordCount is {expected}"
            return protocol.new_export(Cause.BAD_FILE, msg)
        if expected is None:
            self._progress.warn_once(
                "record_count",
                "%s: Langdock's answer has no recordCount; files cannot be checked for "
                "completeness beyond their length",
                self._progress.stream,
            )
        stats.rows = prepared.rows
        stats.record_count = expected
        return prepared

    def _handle(self, answer: Answer, step: str, tries: _Tries) -> bool:
        """Act on a failed step: wait, or count a fresh export (True), or raise."""
        if answer.outcome is Outcome.RETRY:
            self._wait_before_retry(answer, step, tries)
            return False
        if answer.outcome is Outcome.NEW_EXPORT:
            self._count_fresh_export(answer, tries)
            return True
        raise answer.error(answer.message)

    def _wait_before_retry(self, answer: Answer, step: str, tries: _Tries) -> None:
        where, stats, stop = self._progress.where(tries.window), tries.stats, tries.stop
        if answer.unreachable and not self._run.reached.is_set():
            tries.unreachable += 1
            if tries.unreachable >= MAX_UNREACHABLE_AT_START:
                host = urllib.parse.urlsplit(self._api.url_base).netloc
                msg = (
                    f"{where}: cannot connect to {host} ({tries.unreachable} attempts): check "
                    "api_url and that this machine can reach it"
                )
                error = Unreachable(msg)
                self._run.stop(error)
                raise error
        _check(stop)
        remaining = tries.budget.remaining()
        delay = tries.budget.next_delay(answer.retry_after, tries.failed(step))
        if delay is None:
            msg = (
                f"{where}: {answer.message}; gave up after {stats.requests} request(s) because "
                f"the retry budget (max_retry_seconds={self._settings.max_retry_seconds:.0f}) "
                "ran out. Windows before this one are loaded and bookmarked: run again later "
                "to continue from here"
            )
            raise ExportError(msg)
        stats.retries += 1
        self._progress.logger.warning(
            "%s: %s; retrying in %.1f s (retry %d, %.0f s of retry budget left)",
            where,
            answer.message,
            delay,
            stats.retries,
            max(remaining - delay, 0),
        )
        retries.pause(delay, stop)

    def _count_fresh_export(self, answer: Answer, tries: _Tries) -> None:
        assert answer.cause is not None
        tries.succeeded()
        tries.fresh[answer.cause] += 1
        count, limit = tries.fresh[answer.cause], REEXPORT_LIMITS[answer.cause]
        where, stats = self._progress.where(tries.window), tries.stats
        if count > limit:
            msg = (
                f"{where}: {answer.message} (still after {count} export(s)). No row of "
                "this window was emitted and the bookmark stays before it; if it persists, "
                "report it to Langdock with the window and stream"
            )
            raise ExportError(msg)
        stats.re_exports += 1
        self._progress.logger.warning(
            "%s: %s; asking Langdock for a fresh export (%d of %d)",
            where,
            answer.message,
            count,
            limit,
        )


def _check(stop: threading.Event | None) -> None:
    """Give up a prefetched window at a step boundary once the run is stopping."""
    if stop is not None and stop.is_set():
        raise Cancelled
