"""What one run of the tap shares across its streams and worker threads."""

from __future__ import annotations

import functools
import threading
import typing as t

from tap_langdock.audit.transport import AuditApi
from tap_langdock.concurrency import AdaptiveLimit, shared_limit
from tap_langdock.errors import ExportUnavailable, StreamsFailed
from tap_langdock.export.transport import ExportApi
from tap_langdock.rate_limit import RateLimiter, shared_limiter

if t.TYPE_CHECKING:
    import logging

    from tap_langdock.errors import LangdockError
    from tap_langdock.settings import Settings


class Run:
    """Run-wide facts, made once by the tap and handed to every stream.

    Settings are read on first use, not when the run is made: discovery works without a
    configuration, and only a sync needs valid settings.
    """

    def __init__(
        self, settings: t.Callable[[], Settings], *, selected: t.Callable[[], int]
    ) -> None:
        self._read_settings = settings
        self._selected = selected
        self._finished = 0
        self.reached = threading.Event()
        """Set once any request got an HTTP answer: from then on api_url is known to be right,
        and a failed connection is a passing fault to retry, not a wrong URL."""
        self._stopped_by: LangdockError | None = None
        """A run-wide failure: once set, no further request is sent, by any stream or thread."""
        self.failures: list[LangdockError] = []
        """Streams that ended early, in order; the others went on."""
        self.export_api: type[ExportApi] = ExportApi
        """How streams reach Langdock; the benchmarks put a local file reader here."""
        self.audit_api: type[AuditApi] = AuditApi
        """How the audit stream reaches Langdock's audit log."""

    @functools.cached_property
    def settings(self) -> Settings:
        """The validated settings of this run."""
        return self._read_settings()

    @functools.cached_property
    def limiter(self) -> RateLimiter:
        """The request budget every stream and thread of the run draws from.

        The process's limiter for this API and rate, so that runs in one process (tests, an
        orchestrator running the tap in-process) share Langdock's budget too.
        """
        settings = self.settings
        return shared_limiter(settings.api_url, settings.max_requests_per_minute)

    @functools.cached_property
    def concurrency(self) -> AdaptiveLimit:
        """How many export requests may be in flight, adapting to Langdock's answers.

        ``max_parallel_exports`` is its ceiling. One per API and ceiling in the process, so
        each stream starts from what the streams before it learnt.
        """
        settings = self.settings
        return shared_limit(settings.api_url, settings.max_parallel_exports)

    def stop(self, error: LangdockError) -> None:
        """A run-wide failure: every stream and thread stops before its next request."""
        if self._stopped_by is None:
            self._stopped_by = error

    def raise_if_stopping(self) -> None:
        """Before a request: raise the run-wide failure, if there was one, in this thread too.

        A worker that was still retrying an earlier window then reports the same one line,
        not an anonymous cancellation.
        """
        if self._stopped_by is not None:
            raise type(self._stopped_by)(*self._stopped_by.args)

    def stream_ended_early(self, error: LangdockError, logger: logging.Logger) -> None:
        """Take a stream's failure: stop the run if it is run-wide, else note it and go on.

        The stream's bookmark already stands at its last complete window (STATE is written
        per window), so nothing is lost by letting the other streams run.
        """
        if error.run_wide:
            self.stop(error)
            raise error
        if isinstance(error, ExportUnavailable):
            logger.warning("%s. Skipped; its state is unchanged", error)
            return
        self.failures.append(error)
        logger.error("%s (the run goes on with the other streams)", error)

    def stream_finished(self, logger: logging.Logger) -> None:
        """One more selected stream is through; after the last, fail the run if any ended early.

        The run must fail at its very end, not when the stream fails, so that every other
        stream is loaded first; and it must fail, so that schedulers see a failed run.
        """
        self._finished += 1
        selected = self._selected()
        if self._finished < selected or not self.failures:
            return
        logger.error(
            "%d of %d selected stream(s) ended early; the others were loaded, and every "
            "stream's bookmark stands at its last complete window. Run again once the cause "
            "below is fixed:",
            len(self.failures),
            selected,
        )
        if len(self.failures) == 1:
            raise self.failures[0]
        raise StreamsFailed(self.failures)
