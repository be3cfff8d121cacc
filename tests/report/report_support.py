"""Helpers of the report tests: loads through the real pipeline, the page's data, own SQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
import subprocess
import sys
import typing as t
from pathlib import Path

import duckdb

from langdock_emulator import Emulator

# The suite's one copy of how Meltano is run.
from tests.support.meltano_project import API_KEY, clean_env, dbt_env, meltano, tap_env

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


@dataclasses.dataclass(frozen=True)
class Workspace:
    """A DuckDB file with the dbt marts over one emulated workspace."""

    name: str
    database: Path
    first_day: dt.date
    last_day: dt.date
    byok: bool
    pii: str


# The main workspace: BYOK (so costs exist), personal data kept, 30 days (headline changes
# compare the last 7 days with the 7 before). The others check the pii modes.
SCENARIOS = {
    "byok": ("2025-02-01", "2025-03-02", True, "keep"),
    "hashed": ("2025-02-01", "2025-02-04", False, "hash"),
    "dropped": ("2025-02-01", "2025-02-02", False, "drop"),
}


def load_workspace(project: Path, work: Path, name: str) -> Workspace:
    """emulator (loopback) -> Meltano -> tap-langdock -> target-duckdb -> dbt build."""
    first, last, byok, pii = SCENARIOS[name]
    database = work / f"{name}.duckdb"
    with Emulator(api_key=API_KEY, seed=7) as emulator:
        emulator.settings.byok = byok
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{work / f'{name}-state.db'}",
            TARGET_DUCKDB_FILEPATH=str(database),
            **tap_env(emulator.url, end_date=last, TAP_LANGDOCK_START_DATE=first),
            TAP_LANGDOCK_PII=pii,
            **dbt_env(work / name, "langdock"),
        )
        command = ["--environment=emulator", "run", "tap-langdock", "target-duckdb", "dbt:build"]
        meltano(project, command, env).check()
    return Workspace(
        name, database, dt.date.fromisoformat(first), dt.date.fromisoformat(last), byok, pii
    )


@dataclasses.dataclass(frozen=True)
class Built:
    workspace: Workspace
    html: Path
    text: str
    data: dict[str, t.Any]


def build(workspace: Workspace, out: Path, *extra: str) -> Built:
    """The report as `make report` builds it: the CLI, in a subprocess."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "langdock_report",
            *("--duckdb", str(workspace.database), "--out", str(out)),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"Usage report: {out.resolve()} (" in result.stdout, result.stdout
    text = out.read_text(encoding="utf-8")
    return Built(workspace, out, text, page_data(text))
