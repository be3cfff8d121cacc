"""A sliding one-minute request limit per API key, as Langdock's public API enforces it."""

from __future__ import annotations

import collections
import math
import threading
import time

_WINDOW_SECONDS = 60.0


class RateLimiter:
    def __init__(self) -> None:
        self._windows: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, limit: int | None) -> int | None:
        """None when a request by ``key`` may pass now (and counts it), else Retry-After."""
        if limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault(key, collections.deque())
            while window and window[0] <= now - _WINDOW_SECONDS:
                window.popleft()
            if len(window) >= limit:
                if not window:
                    return math.ceil(_WINDOW_SECONDS)
                return max(1, math.ceil(window[0] + _WINDOW_SECONDS - now))
            window.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
