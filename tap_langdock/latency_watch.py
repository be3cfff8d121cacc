"""Has latency risen with load? The latency half of the adaptive concurrency limit.

Pure bookkeeping, no clock and no lock (``AdaptiveLimit`` holds its lock while calling in):

- The **baseline** is the median latency of the first ``FIRST_SAMPLES`` answers, sent at the
  initial load, then the lowest batch median seen. It is measured that early on purpose: slow
  start doubles the load every round trip, and a baseline taken later would already include
  the slowdown it is meant to reveal.
- Later answers are judged in **batches** of about one round trip (the limit when the batch
  starts, within [``MIN_BATCH``, ``MAX_BATCH``]) by their median, so one slow export (a big
  day) or one hiccup never reads as an overloaded server: a batch median above
  ``TOLERANCE`` x the baseline is rising latency.
- After the cut that follows, the next batch tells whether latency follows load at all: if
  the load fell clearly (to ``RELIEF`` x or less) yet the median did not, latency changed for
  another reason (later days hold more data, the backend got slower for everyone), and the
  baseline moves to the new median instead of cutting again and again down to one.
"""

from __future__ import annotations

import statistics

FIRST_SAMPLES = 5
MIN_BATCH = 10
MAX_BATCH = 32
TOLERANCE = 2.0
RELIEF = 0.9


class LatencyWatch:
    """Latency samples, their baseline, and the verdict whether latency rose with load."""

    def __init__(self) -> None:
        self.baseline: float | None = None
        self._samples: list[tuple[float, int]] = []
        self._batch = MIN_BATCH
        self._cut_point: tuple[float, float] | None = None

    def slow(self, latency: float) -> bool:
        """One answer slower than the tolerance allows: not a reason to send more."""
        return self.baseline is not None and latency > TOLERANCE * self.baseline

    def observe(self, latency: float, load: int, limit: int) -> bool:
        """Add one answer's latency and the load it was sent into; True when latency rose."""
        if not self._samples:
            self._batch = min(MAX_BATCH, max(MIN_BATCH, limit))
        self._samples.append((max(latency, 0.0), load))
        if self.baseline is None:
            if len(self._samples) >= FIRST_SAMPLES:
                self.baseline = statistics.median(s for s, _ in self._samples)
                self._samples.clear()
            return False
        if len(self._samples) < self._batch:
            return False
        median = statistics.median(s for s, _ in self._samples)
        load_median = statistics.median(n for _, n in self._samples)
        self._samples.clear()
        if self._cut_point is not None:
            cut_median, cut_load = self._cut_point
            self._cut_point = None
            if load_median <= RELIEF * cut_load and median > RELIEF * cut_median:
                self.baseline = median
        self.baseline = min(self.baseline, median)
        if median <= TOLERANCE * self.baseline:
            return False
        self._cut_point = (median, load_median)
        return True

    def restart(self) -> None:
        """The limit was cut: answers to requests sent before it say nothing about it now.

        Keeps the pending relief check when the cut came from rising latency.
        """
        self._samples.clear()

    def forget_cut(self) -> None:
        """The cut was for another reason (429, error): no relief check is due."""
        self._cut_point = None
