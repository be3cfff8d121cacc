"""Running the tap against the emulator: in-process (`run_tap`) or as users do (`run_cli`).

Both scan everything the run wrote (records, state, log, error) for secrets, and both return
a `TapRun` of the Singer messages. In-process runs see the fake retry clock when a test
installs it (`tests.support.clock`); subprocess runs always wait in real time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
import os
import pathlib
import re
import subprocess
import sys
import typing as t
from dataclasses import dataclass, field

from tap_langdock.tap import TapLangdock
from tests.support.secrets import TEST_API_KEY, scan_for_secrets

if t.TYPE_CHECKING:
    from langdock_emulator import Emulator

TAP_CLI = [sys.executable, "-m", "tap_langdock"]


@dataclass
class TapRun:
    """Everything one run wrote."""

    messages: list[dict[str, t.Any]]
    log: str
    error: BaseException | None = None
    records: dict[str, list[dict[str, t.Any]]] = field(default_factory=dict)
    states: list[dict[str, t.Any]] = field(default_factory=list)
    schemas: dict[str, dict[str, t.Any]] = field(default_factory=dict)
    text: str = field(default="", repr=False)
    """The raw stdout, kept to scan again once the emulator's signatures are known."""

    @property
    def state(self) -> dict[str, t.Any] | None:
        """The last STATE message's value."""
        return self.states[-1] if self.states else None

    def bookmark(self, stream: str) -> dict[str, t.Any]:
        """``stream``'s bookmark in the last state (which must exist)."""
        assert self.state is not None
        return t.cast("dict[str, t.Any]", self.state["bookmarks"][stream])

    def through(self, stream: str) -> str | None:
        """``exported_through`` of ``stream`` in the last state."""
        if self.state is None:
            return None
        return t.cast(
            "str | None", self.state.get("bookmarks", {}).get(stream, {}).get("exported_through")
        )


def parse_messages(text: str, log: str = "", error: BaseException | None = None) -> TapRun:
    """Singer messages from a tap's stdout (a trailing partial line, as after SIGKILL, is cut)."""
    messages = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and "type" in message:  # not, e.g., a catalog's lines
            messages.append(message)
    run = TapRun(messages=messages, log=log, error=error, text=text)
    for message in messages:
        if message["type"] == "RECORD":
            run.records.setdefault(message["stream"], []).append(message["record"])
        elif message["type"] == "STATE":
            run.states.append(message["value"])
        elif message["type"] == "SCHEMA":
            run.schemas[message["stream"]] = message
    return run


# In-process runs ----------------------------------------------------------------------------


def tap_config(emu: Emulator, **overrides: t.Any) -> dict[str, t.Any]:
    """A config for three days of history from ``emu``; ``overrides`` replace any setting."""
    config: dict[str, t.Any] = {
        "api_key": TEST_API_KEY,
        "api_url": emu.url,
        "start_date": "2025-03-01",
        "end_date": "2025-03-03",
        "request_timeout": 5,
    }
    config.update(overrides)
    return config


def days(start: str, count: int) -> tuple[str, str]:
    """(start_date, end_date) of ``count`` local days from ``start``."""
    first = dt.date.fromisoformat(start)
    return first.isoformat(), (first + dt.timedelta(days=count - 1)).isoformat()


class _Trigger(logging.Handler):
    """Calls ``action`` once, when a log line matches ``pattern`` (to change the emulator
    mid-run)."""

    def __init__(self, pattern: str, action: t.Callable[[], None]) -> None:
        super().__init__()
        self.pattern = re.compile(pattern)
        self.action: t.Callable[[], None] | None = action

    def emit(self, record: logging.LogRecord) -> None:
        if self.action is not None and self.pattern.search(record.getMessage()):
            action, self.action = self.action, None
            action()


@contextlib.contextmanager
def _captured_log(
    level: int, when_logged: t.Sequence[tuple[str, t.Callable[[], None]]]
) -> t.Iterator[io.StringIO]:
    """The root logger's lines at ``level`` and above while the block runs, and the triggers."""
    log_stream = io.StringIO()
    handler = logging.StreamHandler(log_stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handlers: list[logging.Handler] = [handler]
    handlers += [_Trigger(text, action) for text, action in when_logged]
    root = logging.getLogger()
    for extra in handlers:
        root.addHandler(extra)
    saved_level = root.level
    root.setLevel(level)
    try:
        yield log_stream
    finally:
        for extra in handlers:
            root.removeHandler(extra)
        root.setLevel(saved_level)


def run_tap(
    config: dict[str, t.Any],
    state: dict[str, t.Any] | None = None,
    streams: t.Collection[str] | None = ("projects_usage",),
    *,
    when_logged: t.Sequence[tuple[str, t.Callable[[], None]]] = (),
    level: int = logging.INFO,
) -> TapRun:
    """Run a sync in-process; select only ``streams`` (None: the tap's defaults).

    ``when_logged``: (regex, action) pairs; each action runs once, as soon as the tap logs a
    line matching the regex (e.g. `window_done(...)`, to queue a fault once a window is done).
    An exception of the run is kept in ``TapRun.error``, not raised.
    """
    out = io.StringIO()
    error: BaseException | None = None
    with _captured_log(level, when_logged) as log_stream:
        try:
            with contextlib.redirect_stdout(out):
                tap = TapLangdock(config=config, state=state or {}, setup_mapper=True)
                if streams is not None:
                    for stream in tap.streams.values():
                        stream.selected = stream.name in streams
                tap.sync_all()
        except Exception as exc:
            error = exc
    text, log = out.getvalue(), log_stream.getvalue()
    scan_for_secrets(text, "tap stdout (records and state)")
    scan_for_secrets(log, "tap log")
    if error is not None:
        scan_for_secrets(f"{error!s} {error!r}", "tap error")
    return parse_messages(text, log, error)


def window_done(stream: str, day: str, zone: str = "UTC") -> str:
    """Regex of the progress line the tap logs once a window is exported and checkpointed."""
    return rf"^{stream}, window {day} \({re.escape(zone)}\): .*request\(s\)"


_SUMMARY = re.compile(
    r"(?P<stream>\w+): done: (?P<windows>\d+) window\(s\).*?, (?P<requests>\d+) request\(s\), "
    r"(?P<retries>\d+) retr(?:y|ies), (?P<re_exports>\d+) re-export\(s\)"
)


def summary_figures(log: str) -> dict[str, dict[str, int]]:
    """Per-stream figures from the tap's end-of-stream summary lines."""
    figures: dict[str, dict[str, int]] = {}
    for match in _SUMMARY.finditer(log):
        figures[match["stream"]] = {
            k: int(match[k]) for k in ("windows", "requests", "retries", "re_exports")
        }
    return figures


# Subprocess runs ----------------------------------------------------------------------------


@dataclass
class CliRun:
    """One `tap-langdock` subprocess."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    run: TapRun

    @property
    def error_lines(self) -> list[str]:
        return [
            line
            for line in self.stderr.splitlines()
            if "| ERROR" in line or line.startswith("ERROR") or "[error" in line
        ]


def write_json(path: pathlib.Path, value: object) -> pathlib.Path:
    path.write_text(json.dumps(value))
    return path


def only_streams_catalog(workdir: pathlib.Path, streams: t.Collection[str]) -> pathlib.Path:
    """A catalog file with only ``streams`` selected (from `tap-langdock --discover`)."""
    found = subprocess.run(
        [*TAP_CLI, "--discover"], capture_output=True, text=True, check=True, timeout=60
    )
    catalog = json.loads(found.stdout)
    for entry in catalog["streams"]:
        chosen = entry["tap_stream_id"] in streams
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = chosen
    return write_json(workdir / "catalog.json", catalog)


def run_cli(
    workdir: pathlib.Path,
    config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    catalog: pathlib.Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    args: t.Sequence[str] = (),
) -> CliRun:
    """Run `tap-langdock` as users do; a hang fails with TimeoutExpired after ``timeout``."""
    command = [*TAP_CLI, "--config", str(write_json(workdir / "config.json", config))]
    if state is not None:
        command += ["--state", str(write_json(workdir / "state.json", state))]
    if catalog is not None:
        command += ["--catalog", str(catalog)]
    command += args
    started = dt.datetime.now()
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    seconds = (dt.datetime.now() - started).total_seconds()
    scan_for_secrets(result.stdout, "tap CLI stdout")
    scan_for_secrets(result.stderr, "tap CLI stderr")
    return CliRun(
        result.returncode,
        result.stdout,
        result.stderr,
        seconds,
        parse_messages(result.stdout, result.stderr),
    )
