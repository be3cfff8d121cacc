"""Fault injection: a queue of explicit faults, an optional seeded random mode, CSV corruption."""

from __future__ import annotations

import csv
import dataclasses
import io
import random
import threading
from collections.abc import Sequence
from typing import Any, Literal

from langdock_emulator.columns import CANONICAL_TYPE, ID_COLUMNS, NAME_COLUMN, PRIMARY_COUNT_COLUMN

RequestKind = Literal["export", "download"]

# Faults that answer an export POST instead of the normal handling.
EXPORT_REPLY_KINDS: frozenset[str] = frozenset(
    {
        "rate_limit",
        "server_error",
        "reset",
        "no_data",
        "unauthorized",
        "forbidden",
        "too_large",
        "not_json",
        "html_error",
        "success_false",
        "huge_body",
    }
)
# Faults that let the export POST run normally and then bend its answer.
EXPORT_MODIFIER_KINDS: frozenset[str] = frozenset(
    {"slow", "expired_url", "record_count_mismatch", "missing_download_url", "bad_download_url"}
)
# Modifiers that only mean something for the CSV envelope, not for inline JSON rows.
CSV_ENVELOPE_KINDS: frozenset[str] = frozenset(
    {"expired_url", "missing_download_url", "bad_download_url"}
)
CONTENT_KINDS: frozenset[str] = frozenset(
    {
        "csv_empty",
        "csv_header_only",
        "csv_missing_key_column",
        "csv_non_numeric",
        "csv_invalid_utf8",
        "csv_nul",
        "csv_semicolon",
        "csv_ragged",
        "csv_huge_cell",
    }
)
# download_reset can hit any storage request; the others need a file that would be served.
DOWNLOAD_KINDS: frozenset[str] = frozenset({"download_reset", "truncate", "storage_403"}) | (
    CONTENT_KINDS
)
EXPORT_KINDS: frozenset[str] = EXPORT_REPLY_KINDS | EXPORT_MODIFIER_KINDS
ALL_KINDS: frozenset[str] = EXPORT_KINDS | DOWNLOAD_KINDS

DEFAULT_RANDOM_KINDS: tuple[str, ...] = (
    "rate_limit",
    "server_error",
    "reset",
    "download_reset",
    "truncate",
    "expired_url",
    "storage_403",
    "slow",
)

HUGE_CELL_BYTES = 50 * 1024 * 1024
_BOM = "\ufeff".encode()


@dataclasses.dataclass(frozen=True)
class Fault:
    """One fault to inject; ``count`` matching requests consume it, in queue order."""

    kind: str
    _: dataclasses.KW_ONLY
    export_type: str | None = None
    count: int = 1
    retry_after: str | int | float | None = None
    status: int | None = None
    delay: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ALL_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {sorted(ALL_KINDS)}")
        if self.count < 1:
            raise ValueError("count must be at least 1")
        if self.export_type is not None and self.export_type not in CANONICAL_TYPE:
            raise ValueError(f"unknown export type {self.export_type!r}")

    @classmethod
    def from_json(cls, value: object) -> Fault:
        if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
            raise ValueError("a fault must be a JSON object with a string 'kind'")
        allowed = {"kind", "export_type", "count", "retry_after", "status", "delay"}
        unknown = set(value) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields {sorted(unknown)}")
        kind = value["kind"]
        return cls(kind, **{k: v for k, v in value.items() if k != "kind"})

    def request_kind(self) -> RequestKind:
        return "export" if self.kind in EXPORT_KINDS else "download"

    def matches(self, export_type: str | None) -> bool:
        if self.export_type is None:
            return True
        if export_type is None:
            return False
        return CANONICAL_TYPE.get(export_type, export_type) == CANONICAL_TYPE[self.export_type]


@dataclasses.dataclass
class _Queued:
    fault: Fault
    remaining: int


@dataclasses.dataclass
class _RandomMode:
    rate: float
    rng: random.Random
    kinds: list[Fault | str]
    slow_delay: float


class FaultSchedule:
    """Thread-safe source of faults for incoming requests, with a log of what it injected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Queued] = []
        self._random: _RandomMode | None = None
        self.log: list[tuple[str, str, str]] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(_Queued(fault, fault.count))

    def pending(self) -> list[Fault]:
        with self._lock:
            return [dataclasses.replace(q.fault, count=q.remaining) for q in self._queue]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._random = None

    def set_random(
        self,
        rate: float | None,
        seed: int,
        kinds: Sequence[Fault | str] | None,
        slow_delay: float,
    ) -> None:
        with self._lock:
            if rate is None or rate <= 0:
                self._random = None
                return
            chosen: list[Fault | str] = list(kinds if kinds is not None else DEFAULT_RANDOM_KINDS)
            for kind in chosen:
                if isinstance(kind, str) and kind not in ALL_KINDS:
                    raise ValueError(f"unknown fault kind {kind!r}")
            self._random = _RandomMode(min(rate, 1.0), _seeded(seed), chosen, slow_delay)

    def take(
        self,
        request_kind: RequestKind,
        export_type: str | None,
        allowed: frozenset[str],
        path: str,
    ) -> Fault | None:
        """The fault this request gets, if any; queued faults win over random ones."""
        with self._lock:
            fault = self._take_queued(export_type, allowed) or self._take_random(allowed)
            if fault is not None:
                self.log.append((fault.kind, request_kind, path))
            return fault

    def _take_queued(self, export_type: str | None, allowed: frozenset[str]) -> Fault | None:
        for position, queued in enumerate(self._queue):
            if queued.fault.kind in allowed and queued.fault.matches(export_type):
                queued.remaining -= 1
                if queued.remaining <= 0:
                    del self._queue[position]
                return queued.fault
        return None

    def _take_random(self, allowed: frozenset[str]) -> Fault | None:
        mode = self._random
        if mode is None:
            return None
        # Always one draw per request, so the sequence depends only on the request order.
        roll = mode.rng.random()
        candidates = [k for k in mode.kinds if (k.kind if isinstance(k, Fault) else k) in allowed]
        if roll >= mode.rate or not candidates:
            return None
        choice = candidates[mode.rng.randrange(len(candidates))]
        if isinstance(choice, Fault):
            return choice
        parameters: dict[str, Any] = {}
        if choice == "rate_limit":
            parameters["retry_after"] = mode.rng.choice(["0", "1"])
        elif choice == "server_error":
            parameters["status"] = mode.rng.choice([500, 502, 503])
        elif choice == "slow":
            parameters["delay"] = mode.slow_delay
        return Fault(choice, **parameters)


def _seeded(seed: int) -> random.Random:
    # Reproducibility is the point here, not unpredictability.
    return random.Random(seed)  # noqa: S311


def corrupt_csv(kind: str, content: bytes, export_type: str) -> bytes:
    """Apply a CSV content fault; row counts stay as the envelope claimed where that fits."""
    if kind == "csv_empty":
        return b""
    has_bom = content.startswith(_BOM)
    text = content[len(_BOM) :].decode("utf-8") if has_bom else content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    delimiter = ","
    position = {column: i for i, column in enumerate(header)}
    name_at = position.get(NAME_COLUMN[export_type], position.get(ID_COLUMNS[export_type][0], 0))
    if kind == "csv_header_only":
        body = []
    elif kind == "csv_missing_key_column":
        key_at = position[ID_COLUMNS[export_type][0]]
        header = header[:key_at] + header[key_at + 1 :]
        body = [row[:key_at] + row[key_at + 1 :] for row in body]
    elif kind == "csv_non_numeric" and body:
        body[0][position[PRIMARY_COUNT_COLUMN[export_type]]] = "abc"
    elif kind == "csv_invalid_utf8" and body:
        # A lone surrogate becomes the raw byte 0xff under surrogateescape below.
        body[0][name_at] += "\udcff"
    elif kind == "csv_nul" and body:
        body[0][name_at] = "Nul\x00" + body[0][name_at]
    elif kind == "csv_semicolon":
        delimiter = ";"
    elif kind == "csv_ragged" and body:
        middle = len(body) // 2
        body[middle] = body[middle][:-1]
    elif kind == "csv_huge_cell" and body:
        body[0][name_at] = "A" * HUGE_CELL_BYTES
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(body)
    encoded = out.getvalue().encode("utf-8", "surrogateescape")
    return _BOM + encoded if has_bom else encoded
