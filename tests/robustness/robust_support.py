"""Shared helpers for the robustness tests and the scripts in scripts/ (which import this file).

Everything runs for real: the emulator over loopback HTTP, the tap in-process or as a
subprocess, DuckDB files on disk. The only stand-in is the retry clock: in-process runs swap
``tap_langdock.retries.sleep``/``monotonic`` for a fake clock, so a Retry-After of 60 s costs
nothing but still counts against the retry budget.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
import math
import os
import pathlib
import re
import subprocess
import sys
import threading
import typing as t
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parents[2]
for _path in (ROOT, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import duckdb  # noqa: E402
from secret_scan import TEST_API_KEY, register_secret, scan_for_secrets  # noqa: E402

from langdock_emulator import Emulator  # noqa: E402
from tap_langdock import retries  # noqa: E402
from tap_langdock.streams import STREAMS  # noqa: E402
from tap_langdock.tap import TapLangdock  # noqa: E402

DEFAULT_STREAMS = tuple(s.name for s in STREAMS if getattr(s, "selected_by_default", True))
KEYS: dict[str, tuple[str, ...]] = {s.name: tuple(s.primary_keys) for s in STREAMS}
TAP_CLI = [sys.executable, "-m", "tap_langdock"]

__all__ = ["TEST_API_KEY", "Emulator", "scan_for_secrets"]


# Fake clock ---------------------------------------------------------------------------------


class FakeClock:
    """Retry waits happen instantly but still count against the retry budget.

    Time is per thread: the tap exports several windows at once on worker threads, and a
    wait in one window must not eat into another window's budget (with a real clock the waits
    overlap). ``slept`` lists every wait of every thread.
    """

    def __init__(self) -> None:
        self.start = 10_000.0
        self.slept: list[float] = []
        self._local = threading.local()
        self._lock = threading.Lock()

    @property
    def now(self) -> float:
        return self.monotonic()

    def monotonic(self) -> float:
        return self.start + getattr(self._local, "waited", 0.0)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
        self._local.waited = getattr(self._local, "waited", 0.0) + seconds

    def pause(self, seconds: float, stop: threading.Event | None = None) -> bool:
        self.sleep(seconds)
        return stop is not None and stop.is_set()


@contextlib.contextmanager
def fake_clock() -> t.Iterator[FakeClock]:
    """Install a fake clock in `tap_langdock.retries` for the duration of the block."""
    clock = FakeClock()
    saved = retries.sleep, retries.monotonic, retries.pause
    retries.sleep, retries.monotonic, retries.pause = clock.sleep, clock.monotonic, clock.pause
    try:
        yield clock
    finally:
        retries.sleep, retries.monotonic, retries.pause = saved


# Secrets ------------------------------------------------------------------------------------


def register_signatures(emu: Emulator) -> int:
    """Register the signatures of every URL the emulator signed so far as secrets.

    The emulator has no public list of issued URLs (reported to the lead), so this reads its
    file store; if that internal changes, nothing is registered and the generic query-string
    patterns of secret_scan still apply.
    """
    store = getattr(emu, "_store", None)
    files = getattr(store, "_files", None)
    sign = getattr(store, "sign", None)
    if not isinstance(files, dict) or sign is None:
        return 0
    count = 0
    for stored in list(files.values()):
        expires_at = getattr(stored, "expires_at", None)
        if expires_at is None:
            continue
        register_secret(sign(stored.file_id, math.ceil(expires_at)))
        count += 1
    return count


def rescan(emu: Emulator, *runs: TapRun, where: str = "tap output") -> None:
    """Register the emulator's signatures, then scan the runs' output, log and errors again."""
    register_signatures(emu)
    for run in runs:
        scan_for_secrets(f"{run.text}\n{run.log}\n{run.error!s}", f"{where} (signatures)")


# In-process runs ----------------------------------------------------------------------------


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
            messages.append(json.loads(line))
        except ValueError:
            continue
    run = TapRun(messages=messages, log=log, error=error, text=text)
    for message in messages:
        if message["type"] == "RECORD":
            run.records.setdefault(message["stream"], []).append(message["record"])
        elif message["type"] == "STATE":
            run.states.append(message["value"])
        elif message["type"] == "SCHEMA":
            run.schemas[message["stream"]] = message
    return run


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


def run_tap(
    config: dict[str, t.Any],
    state: dict[str, t.Any] | None = None,
    streams: t.Collection[str] | None = None,
    *,
    when_logged: t.Sequence[tuple[str, t.Callable[[], None]]] = (),
    level: int = logging.INFO,
) -> TapRun:
    """Run a sync in-process; select only ``streams`` (None: the tap's defaults).

    ``when_logged``: (regex, action) pairs; each action runs once, as soon as the tap logs a
    line matching the regex (e.g. `window_done(...)`, to queue a fault once a window is done).
    """
    out = io.StringIO()
    log_stream = io.StringIO()
    handler = logging.StreamHandler(log_stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    handlers: list[logging.Handler] = [handler]
    handlers += [_Trigger(text, action) for text, action in when_logged]
    for extra in handlers:
        root.addHandler(extra)
    saved_level = root.level
    root.setLevel(level)
    error: BaseException | None = None
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
        for extra in handlers:
            root.removeHandler(extra)
        root.setLevel(saved_level)
    text, log = out.getvalue(), log_stream.getvalue()
    scan_for_secrets(text, "tap stdout (records and state)")
    scan_for_secrets(log, "tap log")
    if error is not None:
        scan_for_secrets(f"{error!s} {error!r}", "tap error")
    return parse_messages(text, log, error)


def window_done(stream: str, day: str, zone: str = "UTC") -> str:
    """Regex of the progress line the tap logs once a window is exported and checkpointed."""
    return rf"^{stream}, window {day} \({re.escape(zone)}\): .*request\(s\)"


def tap_config(emu: Emulator, **overrides: t.Any) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "api_key": TEST_API_KEY,
        "api_url": emu.url,
        "start_date": "2026-03-01",
        "end_date": "2026-03-03",
        "request_timeout": 5,
    }
    config.update(overrides)
    return config


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
) -> CliRun:
    """Run `tap-langdock` as users do; a hang fails with TimeoutExpired after ``timeout``."""
    command = [*TAP_CLI, "--config", str(write_json(workdir / "config.json", config))]
    if state is not None:
        command += ["--state", str(write_json(workdir / "state.json", state))]
    if catalog is not None:
        command += ["--catalog", str(catalog)]
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


# Comparison and DuckDB ----------------------------------------------------------------------


def keyed(
    records: t.Iterable[dict[str, t.Any]], stream: str
) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """Records by primary key (later records replace earlier ones, as an upserting target)."""
    return {tuple(r[k] for k in KEYS[stream]): r for r in records}


def duplicate_keys(records: t.Iterable[dict[str, t.Any]], stream: str) -> int:
    keys = [tuple(r[k] for k in KEYS[stream]) for r in records]
    return len(keys) - len(set(keys))


def record_differences(
    expected: dict[str, list[dict[str, t.Any]]], got: dict[str, list[dict[str, t.Any]]]
) -> list[str]:
    """Human-readable differences by stream, key and value (empty: equal)."""
    problems = []
    for stream in sorted(set(expected) | set(got)):
        want, have = keyed(expected.get(stream, []), stream), keyed(got.get(stream, []), stream)
        missing = sorted(set(want) - set(have), key=str)
        extra = sorted(set(have) - set(want), key=str)
        changed = [k for k in want.keys() & have.keys() if want[k] != have[k]]
        if missing:
            problems.append(f"{stream}: {len(missing)} key(s) missing, e.g. {missing[0]}")
        if extra:
            problems.append(f"{stream}: {len(extra)} unexpected key(s), e.g. {extra[0]}")
        if changed:
            problems.append(f"{stream}: {len(changed)} key(s) with other values, e.g. {changed[0]}")
    return problems


_DUCK_TYPES = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "object": "JSON"}


def _duck_type(schema: dict[str, t.Any]) -> str:
    types = schema.get("type", "string")
    kinds = [types] if isinstance(types, str) else [k for k in types if k != "null"]
    kind = kinds[0] if kinds else "string"
    if kind == "string" and schema.get("format") == "date":
        return "DATE"
    return _DUCK_TYPES.get(kind, "VARCHAR")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_into_duckdb(
    con: duckdb.DuckDBPyConnection, table_schema: str, run: TapRun, *, upsert: bool = False
) -> dict[str, int]:
    """A small Singer loader: one table per stream, columns typed from the SCHEMA message.

    ``upsert=False`` appends every RECORD (duplicates stay visible, which is what the campaign
    counts); ``upsert=True`` replaces rows on the stream's key like target-duckdb does.
    Returns rows per table.
    """
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(table_schema)}")
    counts = {}
    for stream, message in run.schemas.items():
        properties = message["schema"]["properties"]
        names = list(properties)
        table = f"{_ident(table_schema)}.{_ident(stream)}"
        columns = ", ".join(f"{_ident(n)} {_duck_type(properties[n])}" for n in names)
        key = ""
        if upsert:
            key = ", PRIMARY KEY (" + ", ".join(_ident(k) for k in message["key_properties"]) + ")"
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns}{key})")
        objects = {n for n in names if _duck_type(properties[n]) == "JSON"}
        rows = [
            tuple(
                json.dumps(r[n]) if n in objects and r.get(n) is not None else r.get(n)
                for n in names
            )
            for r in run.records.get(stream, [])
        ]
        if rows:
            verb = "INSERT OR REPLACE" if upsert else "INSERT"
            placeholders = ", ".join("?" for _ in names)
            con.executemany(f"{verb} INTO {table} VALUES ({placeholders})", rows)
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        counts[stream] = int(t.cast("tuple[int]", row)[0])
    return counts


def duckdb_duplicate_keys(con: duckdb.DuckDBPyConnection, table_schema: str, stream: str) -> int:
    key = ", ".join(_ident(k) for k in KEYS[stream])
    table = f"{_ident(table_schema)}.{_ident(stream)}"
    row = con.execute(
        f"SELECT coalesce(sum(n - 1), 0) FROM "
        f"(SELECT count(*) AS n FROM {table} GROUP BY {key} HAVING count(*) > 1)"
    ).fetchone()
    return int(t.cast("tuple[int]", row)[0])


def duckdb_table_difference(
    con: duckdb.DuckDBPyConnection, left: str, right: str, columns: t.Sequence[str]
) -> int:
    """Rows in one table and not the other (both ways, multiset), over ``columns``."""
    cols = ", ".join(_ident(c) for c in columns)
    row = con.execute(
        f"SELECT (SELECT count(*) FROM (SELECT {cols} FROM {left} EXCEPT ALL "
        f"SELECT {cols} FROM {right})) + (SELECT count(*) FROM (SELECT {cols} FROM {right} "
        f"EXCEPT ALL SELECT {cols} FROM {left}))"
    ).fetchone()
    return int(t.cast("tuple[int]", row)[0])


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


def days(start: str, count: int) -> tuple[str, str]:
    """(start_date, end_date) of ``count`` local days from ``start``."""
    first = dt.date.fromisoformat(start)
    return first.isoformat(), (first + dt.timedelta(days=count - 1)).isoformat()
