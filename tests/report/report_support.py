"""Helpers of the report tests: the page's embedded data, and SQL of the tests' own."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import typing as t
from pathlib import Path

import duckdb

MARTS = "langdock_marts"
_DATA = re.compile(r'<script id="report-data" type="application/json">(.*?)</script>', re.S)


def page_data(text: str) -> dict[str, t.Any]:
    """The JSON the page draws its charts from (what a browser gets)."""
    found = _DATA.search(text)
    assert found, "the page has no <script id=report-data>"
    return t.cast(dict[str, t.Any], json.loads(found.group(1)))


def chart_values(data: dict[str, t.Any], chart_id: str) -> list[dict[str, t.Any]]:
    for chart in data["charts"]:
        if chart["id"] == chart_id:
            return t.cast(list[dict[str, t.Any]], chart["spec"]["data"]["values"])
    raise AssertionError(f"no chart {chart_id!r} in the page: {[c['id'] for c in data['charts']]}")


def query(database: Path, sql: str, params: list[t.Any] | None = None) -> list[dict[str, t.Any]]:
    """Rows of a query of the test's own, dates as ISO strings like the page has them."""
    with duckdb.connect(str(database), read_only=True) as connection:
        cursor = connection.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [
            {
                name: value.isoformat() if isinstance(value, dt.date) else value
                for name, value in zip(names, row, strict=True)
            }
            for row in cursor.fetchall()
        ]


def scalar(database: Path, sql: str, params: list[t.Any] | None = None) -> t.Any:
    (row,) = query(database, sql, params)
    (value,) = row.values()
    return value


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def visible_text(text: str) -> str:
    """The page's HTML without scripts and styles: what a reader sees, entities decoded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def figures(db: Path, first: str, last: str) -> dict[str, t.Any]:
    """The headline figures by the tests' own SQL (other marts than the report reads)."""
    between = [first, last]
    totals = query(
        db,
        f"select sum(user_message_count) as messages, sum(model_request_count) as requests, "
        f"sum(model_cost_usd) as cost_usd, avg(active_users) as avg_daily_active_users "
        f"from {MARTS}.workspace_usage_daily where usage_date between ? and ?",
        between,
    )[0]
    totals["active_users"] = scalar(
        db,
        f"select count(*) from (select user_id from {MARTS}.user_usage_daily "
        "where usage_date between ? and ? group by user_id having sum(message_count) > 0)",
        between,
    )
    totals["agents_used"] = scalar(
        db,
        f"select count(*) from (select agent_id from {MARTS}.agent_usage_daily "
        "where usage_date between ? and ? group by agent_id having sum(message_count) > 0)",
        between,
    )
    return totals
