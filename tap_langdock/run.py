"""What one run of the tap shares across its streams and worker threads."""

from __future__ import annotations

import functools
import threading
import typing as t

from tap_langdock.export.transport import ExportApi
from tap_langdock.rate_limit import RateLimiter, shared_limiter

if t.TYPE_CHECKING:
    from tap_langdock.settings import Settings


class Run:
    """Run-wide facts, made once by the tap and handed to every stream.

    Settings are read on first use, not when the run is made: discovery works without a
    configuration, and only a sync needs valid settings.
    """

    def __init__(self, settings: t.Callable[[], Settings]) -> None:
        self._read_settings = settings
        self.reached = threading.Event()
        """Set once any request got an HTTP answer: from then on api_url is known to be right,
        and a failed connection is a passing fault to retry, not a wrong URL."""
        self.export_api: type[ExportApi] = ExportApi
        """How streams reach Langdock; the benchmarks put a local file reader here."""

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
