"""Turns a collected Report into one self-contained HTML document."""

from __future__ import annotations

import functools
import json
import typing as t
import urllib.parse
from importlib import resources

import jinja2
from markupsafe import Markup

from langdock_report.charts import json_ready, loaded_caption, period_caption
from langdock_report.formatting import csv_text
from langdock_report.render.bundle import vega_bundle
from langdock_report.report import Report

_HERE = resources.files("langdock_report.render")
# Inside <script>, "</script>" or "<!--" in a name would end or change the script: JSON
# escapes of <, > and & keep every name inert.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (_HERE / name).read_text("utf-8")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_data(report: Report) -> dict[str, t.Any]:
    """What the page's script reads, and what tests compare with the marts."""
    period = report.period
    return {
        "period": {
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "days": period.days,
            "timezone": period.timezone,
            "compare_days": period.compare_days,
        },
        "source": report.source,
        "personal_data": report.personal.mode,
        "headline": json_ready([report.headline])[0],
        "charts": [
            {"id": chart.id, "title": chart.title, "spec": chart.spec}
            for chart in report.charts
            if chart.spec is not None
        ],
    }


def _notes(report: Report) -> list[str]:
    period, notes = report.period, []
    if period.window_days > 1:
        notes.append(
            f"The data was loaded in windows of up to {period.window_days} days (tap setting "
            "window): each point is one window, dated by its first day."
        )
    if period.other_timezones:
        notes.append(
            "Rows exported in other time zones are left out: "
            + ", ".join(period.other_timezones)
            + ". Load one time zone per warehouse schema to avoid this."
        )
    return notes


def render(report: Report) -> str:
    data = json.dumps(page_data(report), ensure_ascii=False, allow_nan=False, sort_keys=True)
    csv_links = {
        chart.id: "data:text/csv;charset=utf-8,"
        + urllib.parse.quote("\ufeff" + csv_text(chart.columns, chart.rows))
        for chart in report.charts
        if chart.rows
    }
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        period_caption=period_caption(report.period),
        loaded_caption=loaded_caption(report.period),
        generated_at=report.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        notes=_notes(report),
        csv_links=csv_links,
        # Our own files and the escaped JSON: nothing from the data goes in unescaped.
        css=Markup((_HERE / "report.css").read_text("utf-8")),  # noqa: S704
        report_js=Markup((_HERE / "report.js").read_text("utf-8")),  # noqa: S704
        vega_bundle=Markup(vega_bundle()),  # noqa: S704
        data_json=Markup(data.translate(_SCRIPT_SAFE)),  # noqa: S704
    )
