"""Exports in flight: the emulator as a backend with limited capacity.

Langdock takes seconds to create an export, and how many it creates at once is finite. Two
workspace settings model that, on top of ``export_latency_seconds``:

- ``max_concurrent_exports``: an export request that arrives while this many are being
  created is answered 429 at once, with ``Retry-After: 1``;
- ``latency_per_inflight_seconds``: each export takes ``export_latency_seconds`` plus this
  much for every other export being created when it arrives, a backend that slows under load.

Every admitted request is counted while its export is being created, so tests and benchmarks
can read the peak in flight and how many were turned away (``Emulator.load.counts()``, the
``load`` part of ``GET /_emulator/state``).
"""

from __future__ import annotations

import contextlib
import threading
import typing as t

from langdock_emulator.settings import WorkspaceSettings

CONCURRENCY_RETRY_AFTER_SECONDS = 1
CONCURRENCY_BODY = {
    "error": "Too Many Requests",
    "message": "Too many exports in progress for this workspace; retry shortly",
}


class ExportLoad:
    """Counts export requests in flight; admits or turns them away."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.admitted = 0
        self.turned_away = 0

    @contextlib.contextmanager
    def admit(self, settings: WorkspaceSettings) -> t.Iterator[float | None]:
        """Yield the export's latency in seconds, or None when too many are in flight."""
        with self._lock:
            cap = settings.max_concurrent_exports
            if cap is not None and self.in_flight >= cap:
                self.turned_away += 1
                admitted = False
            else:
                self.in_flight += 1
                self.admitted += 1
                self.peak = max(self.peak, self.in_flight)
                others = self.in_flight - 1
                admitted = True
        if not admitted:
            yield None
            return
        try:
            yield settings.export_latency_seconds + settings.latency_per_inflight_seconds * others
        finally:
            with self._lock:
                self.in_flight -= 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                "exports_in_flight": self.in_flight,
                "peak_exports_in_flight": self.peak,
                "exports_admitted": self.admitted,
                "exports_turned_away": self.turned_away,
            }

    def reset(self) -> None:
        """Zero the counters; exports being created now are still in flight."""
        with self._lock:
            self.peak = self.in_flight
            self.admitted = self.turned_away = 0
