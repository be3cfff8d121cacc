"""Export files for the benchmarks, made by the emulator once and cached on disk."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import requests

from langdock_emulator import Emulator

BENCH_KEY = "bench-key"
CACHE = Path(
    os.environ.get("TAP_LANGDOCK_BENCH_CACHE", Path(tempfile.gettempdir()) / "tap-langdock-bench")
)
DAY = "2025-03-01"
STREAMS = {"projects": "projects_usage", "users": "users_usage"}


def export_body(day: str = DAY) -> dict[str, object]:
    return {
        "from": {"date": f"{day}T00:00:00.000", "timezone": "UTC"},
        "to": {"date": f"{day}T23:59:59.999", "timezone": "UTC"},
    }


def export_file(export_type: str, rows: int) -> Path:
    """A CSV of ``rows`` synthetic rows exactly as the emulator serves it (cached)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{export_type}-{rows}.csv"
    if path.exists():
        return path
    with Emulator(api_key=BENCH_KEY, seed=7) as emu, requests.Session() as session:
        emu.settings.bulk_rows = rows
        answer = session.post(
            f"{emu.url}/export/{export_type}",
            json=export_body(),
            headers={"Authorization": f"Bearer {BENCH_KEY}"},
            timeout=600,
        )
        answer.raise_for_status()
        url = answer.json()["data"]["downloadUrl"]
        partial = path.with_suffix(f".{os.getpid()}.part")
        with session.get(url, stream=True, timeout=600) as download, partial.open("wb") as sink:
            download.raise_for_status()
            for chunk in download.iter_content(1024 * 1024):
                sink.write(chunk)
    partial.replace(path)
    return path


if __name__ == "__main__":
    for kind in ("projects", "users"):
        started = time.perf_counter()
        made = export_file(kind, 1_000_000)
        print(kind, made, made.stat().st_size, f"{time.perf_counter() - started:.1f}s")
