"""Running the tap in-process against the emulator, for the tests in this folder.

A module of its own (not conftest.py) so test files import it by a name no other folder uses.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
import typing as t
from dataclasses import dataclass, field

from secret_scan import TEST_API_KEY, scan_for_secrets

from langdock_emulator import Emulator
from tap_langdock.tap import TapLangdock


class FakeClock:
    """Retry waits happen instantly but still count against the retry budget."""

    def __init__(self) -> None:
        self.now = 10_000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def pause(self, seconds: float, stop: threading.Event | None = None) -> bool:
        self.sleep(seconds)
        return stop is not None and stop.is_set()


@dataclass
class TapRun:
    """Everything one in-process run wrote."""

    messages: list[dict[str, t.Any]]
    log: str
    error: Exception | None = None
    records: dict[str, list[dict[str, t.Any]]] = field(default_factory=dict)
    states: list[dict[str, t.Any]] = field(default_factory=list)

    @property
    def state(self) -> dict[str, t.Any] | None:
        """The last STATE message's value."""
        return self.states[-1] if self.states else None

    def bookmark(self, stream: str) -> dict[str, t.Any]:
        assert self.state is not None
        return t.cast("dict[str, t.Any]", self.state["bookmarks"][stream])


def tap_config(emu: Emulator, **overrides: t.Any) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "api_key": TEST_API_KEY,
        "api_url": emu.url,
        "start_date": "2025-03-01",
        "end_date": "2025-03-03",
        "request_timeout": 5,
    }
    config.update(overrides)
    return config


def run_tap(
    config: dict[str, t.Any],
    state: dict[str, t.Any] | None = None,
    streams: t.Collection[str] | None = ("projects_usage",),
) -> TapRun:
    """Run a sync in-process; select only ``streams`` (None: the tap's defaults)."""
    out = io.StringIO()
    log_stream = io.StringIO()
    handler = logging.StreamHandler(log_stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    error: Exception | None = None
    try:
        with contextlib.redirect_stdout(out):
            tap = TapLangdock(config=config, state=state or {}, setup_mapper=True)
            if streams is not None:
                for stream in tap.streams.values():
                    stream.selected = stream.name in streams
            tap.sync_all()
    except Exception as exc:
        error = exc
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    text = out.getvalue()
    log = log_stream.getvalue()
    scan_for_secrets(text, "tap stdout (records and state)")
    scan_for_secrets(log, "tap log")
    if error is not None:
        scan_for_secrets(str(error), "tap error")
    messages = [json.loads(line) for line in text.splitlines() if line.strip()]
    run = TapRun(messages=messages, log=log, error=error)
    for message in messages:
        if message["type"] == "RECORD":
            run.records.setdefault(message["stream"], []).append(message["record"])
        elif message["type"] == "STATE":
            run.states.append(message["value"])
    return run
