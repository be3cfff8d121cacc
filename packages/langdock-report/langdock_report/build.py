"""Build the report file: collect from the warehouse, render, write atomically."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from langdock_report.render.page import render
from langdock_report.report import collect
from langdock_report.warehouse import Warehouse


@dataclasses.dataclass(frozen=True)
class BuildResult:
    path: Path
    bytes: int
    seconds: float
    charts: int
    first_day: dt.date
    last_day: dt.date


def build_report(
    warehouse: Warehouse,
    out: Path,
    *,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    top: int = 10,
    source: str = "",
    hide_personal_data: bool = False,
    workspace: str | None = None,
) -> BuildResult:
    started = time.perf_counter()
    report = collect(
        warehouse,
        first_day=first_day,
        last_day=last_day,
        top=top,
        source=source,
        hide_personal_data=hide_personal_data,
        workspace=workspace,
    )
    html = render(report).encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    # A browser tab open on the old file never sees half a report.
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(html)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return BuildResult(
        path=out,
        bytes=len(html),
        seconds=time.perf_counter() - started,
        charts=sum(1 for chart in report.charts if chart.spec is not None),
        first_day=report.period.first_day,
        last_day=report.period.last_day,
    )
