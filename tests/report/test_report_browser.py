"""The report in headless Chromium: drawn, offline, quiet, and showing the figures of the SQL."""

from __future__ import annotations

import json
import re
import shutil
import typing as t
from pathlib import Path

import duckdb
import pytest

from tests.report.chromium import Chromium, Page
from tests.report.report_support import Built, build, chart_values, figures

pytestmark = pytest.mark.slow

READY = "document.documentElement.dataset.reportState !== 'loading'"
# Per chart: the mark types drawn, and how many of each a row of its data gives.
MARKS: dict[str, dict[str, int]] = {
    "messages-by-surface": {"rect": 1},
    "active-users-daily": {"symbol": 1},
    "active-users-weekly": {"rect": 1},
    "departments": {"rect": 2, "text": 1},
    "top-agents": {"rect": 1},
    "top-projects": {"rect": 1},
    "model-requests": {"rect": 1},
    "model-cost": {"rect": 1},
    "provider-requests": {"rect": 1},
    "api-key-requests": {"rect": 1},
    "api-key-cost": {"rect": 1},
}
MEASURE = {
    "messages-by-surface": "messages",
    "active-users-daily": "active_users",
    "active-users-weekly": "active_users",
    "departments": "users_seen",
    "top-agents": "messages",
    "top-projects": "messages",
    "model-requests": "requests",
    "model-cost": "cost_usd",
    "provider-requests": "requests",
    "api-key-requests": "requests",
    "api-key-cost": "cost_usd",
}
_MEASURE_CHARTS = """
(() => {
  const out = {};
  for (const panel of document.querySelectorAll('.chart')) {
    const svg = panel.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    const marks = {};
    for (const group of panel.querySelectorAll('g.role-mark')) {
      const type = [...group.classList].find((c) => c.startsWith('mark-')).slice(5);
      const items = group.querySelectorAll(':scope > path, :scope > text').length;
      marks[type] = (marks[type] || 0) + items;
    }
    out[panel.id.slice(6)] = {width: box.width, height: box.height, marks: marks};
  }
  return out;
})()
"""
_FIRST_MARK = """
((id) => {
  const mark = document.querySelector('#chart-' + id + ' g.role-mark:not(.mark-line) > path');
  mark.scrollIntoView({block: 'center'});
  const box = mark.getBoundingClientRect();
  return [box.x + box.width / 2, box.y + box.height / 2];
})(%s)
"""
_TOOLTIP = """
(() => {
  const tip = document.getElementById('vg-tooltip-element');
  return tip && tip.classList.contains('visible') ? tip.innerText : '';
})()
"""


def _open(browser: Chromium, html: Path) -> Page:
    page = browser.page()
    page.open(html, READY)
    return page


def test_the_page_draws_every_chart_offline_without_a_console_error(
    browser: Chromium, byok_report: Built
) -> None:
    page = _open(browser, byok_report.html)
    assert page.evaluate("document.documentElement.dataset.reportState") == "ready"
    charts = byok_report.data["charts"]
    assert len(charts) == len(MARKS), "a BYOK workspace has data for every chart"
    assert page.evaluate("document.documentElement.dataset.charts") == str(len(charts))
    assert page.console_problems() == []
    # The page itself is the only thing the browser fetched: no script, style, font or image.
    assert page.requested_urls() == [byok_report.html.resolve().as_uri()]


def test_every_chart_has_a_size_and_one_mark_per_number(
    browser: Chromium, byok_report: Built
) -> None:
    page = _open(browser, byok_report.html)
    drawn = page.evaluate(_MEASURE_CHARTS)
    assert set(drawn) == set(MARKS)
    for chart_id, per_row in MARKS.items():
        rows = len(chart_values(byok_report.data, chart_id))
        assert rows > 0, chart_id
        size = drawn[chart_id]
        assert size["width"] > 200, (chart_id, size)
        assert size["height"] > 100, (chart_id, size)
        expected = {mark: count * rows for mark, count in per_row.items()}
        if chart_id == "active-users-daily":
            expected["line"] = 1  # one path through all the points
        assert size["marks"] == expected, chart_id


def test_headline_cards_show_the_independent_sql_figures(
    browser: Chromium, byok_report: Built
) -> None:
    page = _open(browser, byok_report.html)
    shown = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('.card')].map((c) => "
        "[c.dataset.figure, c.querySelector('.card-value').innerText]))"
    )
    period = byok_report.data["period"]
    expected = figures(byok_report.workspace.database, period["first_day"], period["last_day"])
    assert shown == {
        "messages": f"{expected['messages']:,}",
        "active_users": f"{expected['active_users']:,}",
        "agents_used": f"{expected['agents_used']:,}",
        "requests": f"{expected['requests']:,}",
        "cost_usd": f"${expected['cost_usd']:,.2f}",
    }
    changes = page.evaluate(
        "[...document.querySelectorAll('.card-change')].map((c) => c.innerText)"
    )
    assert len(changes) == 5
    assert all(re.fullmatch(r"[▲▼●] \d+\.\d% last 7 days vs the 7 before", c) for c in changes)


def _number_texts(value: t.Any, money: bool) -> set[str]:
    if money:
        return {f"${value:,.2f}"}
    return {f"{value:,}"}


def test_tooltips_give_the_exact_numbers(browser: Chromium, byok_report: Built) -> None:
    page = _open(browser, byok_report.html)
    for chart_id, field in MEASURE.items():
        x, y = page.evaluate(_FIRST_MARK % json.dumps(chart_id))
        page.hover(x, y)
        page.evaluate("new Promise((done) => requestAnimationFrame(() => done(true)))")
        text = page.evaluate(_TOOLTIP)
        assert text, f"{chart_id}: no tooltip when hovering its first mark"
        values = chart_values(byok_report.data, chart_id)
        candidates = set().union(*(_number_texts(v[field], field.endswith("_usd")) for v in values))
        assert any(c in text for c in candidates), (chart_id, text)
        page.hover(1, 1)


def test_days_stay_the_days_of_the_export_in_a_viewer_west_of_utc(
    chromium_path: str, byok_report: Built
) -> None:
    """A viewer in Los Angeles still sees Saturday 1 February as the first day, not 31 January."""
    browser = Chromium(chromium_path, timezone="America/Los_Angeles")
    try:
        page = _open(browser, byok_report.html)
        assert page.evaluate("new Date(2025, 1, 1).getTimezoneOffset()") == 480
        x, y = page.evaluate(_FIRST_MARK % json.dumps("active-users-daily"))
        page.hover(x, y)
        page.evaluate("new Promise((done) => requestAnimationFrame(() => done(true)))")
        assert "Sat 1 Feb 2025" in page.evaluate(_TOOLTIP)
        first_label = page.evaluate(
            "document.querySelector('#chart-messages-by-surface .role-axis-label text').textContent"
        )
        assert first_label == "3 Feb"  # the first Monday of the period
    finally:
        browser.close()


HOSTILE_AGENT = "</script><img src=x onerror=\"console.error('xss')\"><script>console.error(1)"
HOSTILE_PROJECT = '<b>bold</b> & "quoted" \' line\r\nbreak'


def test_names_with_markup_stay_text(browser: Chromium, byok_report: Built, tmp_path: Path) -> None:
    database = tmp_path / "hostile.duckdb"
    shutil.copy(byok_report.workspace.database, database)
    with duckdb.connect(str(database)) as connection:
        top = byok_report.data["charts"]
        agent = chart_values(byok_report.data, "top-agents")[0]["agent_id"]
        project = chart_values(byok_report.data, "top-projects")[0]["project_id"]
        connection.execute(
            "update langdock_marts.agent_usage_daily set agent_name = ? where agent_id = ?",
            [HOSTILE_AGENT, agent],
        )
        connection.execute(
            "update langdock_marts.project_usage_daily set project_name = ? where project_id = ?",
            [HOSTILE_PROJECT, project],
        )
    del top
    workspace = type(byok_report.workspace)(
        **{**byok_report.workspace.__dict__, "database": database}
    )
    built = build(workspace, tmp_path / "hostile.html")
    page = _open(browser, built.html)
    assert page.evaluate("document.documentElement.dataset.reportState") == "ready"
    assert page.console_problems() == []
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    cells = page.evaluate(
        "[...document.querySelectorAll('#table-top-agents td, #table-top-projects td')]"
        ".map((td) => td.textContent)"
    )
    assert " ".join(HOSTILE_AGENT.split()) in cells
    assert " ".join(HOSTILE_PROJECT.split()) in cells
    labels = page.evaluate(
        "[...document.querySelectorAll('#chart-top-agents .role-axis-label text')]"
        ".map((t) => t.textContent)"
    )
    assert any(label.startswith("</script><img") for label in labels), labels
