"""Several workspaces in one warehouse: a per-workspace breakdown, or one with --workspace.

The byok marts hold one workspace. A copy gets a second one: the first ten days of every
usage mart again under another workspace_id. The breakdown's figures are then summed here
in SQL per workspace; the report of one workspace equals the report of the original file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from langdock_report.queries import MARTS as MART_TABLES
from tests.report.chromium import Chromium
from tests.report.report_support import (
    MARTS,
    Built,
    Workspace,
    build,
    chart_values,
    query,
    scalar,
)
from tests.report.test_report_browser import _MEASURE_CHARTS, READY

pytestmark = pytest.mark.slow
SECOND = "second-workspace-id"
SECOND_DAYS = 10


def _with_second_workspace(workspace: Workspace, directory: Path) -> Path:
    database = directory / "two-workspaces.duckdb"
    shutil.copyfile(workspace.database, database)
    last = workspace.first_day + dt.timedelta(days=SECOND_DAYS - 1)
    with duckdb.connect(str(database)) as connection:
        for table in MART_TABLES:
            connection.execute(
                f"insert into {MARTS}.{table} select * replace (? as workspace_id) "
                f"from {MARTS}.{table} where usage_date <= ?",
                [SECOND, last],
            )
    return database


def _main_id(database: Path) -> str:
    return str(
        scalar(
            database,
            f"select min(workspace_id) from {MARTS}.workspace_usage_daily where workspace_id <> ?",
            [SECOND],
        )
    )


def _expected(database: Path, workspace_id: str, first: str, last: str) -> dict[str, object]:
    between = [workspace_id, first, last]
    (totals,) = query(
        database,
        "select sum(user_message_count) as messages, sum(model_request_count) as requests, "
        "sum(api_request_count) as api_requests, sum(model_cost_usd) as cost_usd "
        f"from {MARTS}.workspace_usage_daily "
        "where workspace_id = ? and usage_date between ? and ?",
        between,
    )
    totals["active_users"] = scalar(
        database,
        f"select count(distinct user_id) from {MARTS}.user_usage_daily "
        "where workspace_id = ? and usage_date between ? and ? and is_active",
        between,
    )
    return totals


def _cli(database: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "langdock_report", "--duckdb", str(database)]
    return subprocess.run(
        [*command, "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_one_workspace_gets_no_breakdown(byok_report: Built) -> None:
    assert "workspaces" not in {chart["id"] for chart in byok_report.data["charts"]}


def test_the_breakdown_has_each_workspaces_figures_and_one_workspace_its_own_report(
    byok: Workspace, byok_report: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = _with_second_workspace(byok, tmp_path)
    main = _main_id(database)
    names = tmp_path / "workspaces.yml"
    names.write_text(
        "workspaces:\n"
        f"  - {{name: main, api_key_env: KEY_MAIN, workspace_id: '{main}'}}\n"
        f"  - {{name: second, api_key_env: KEY_SECOND, workspace_id: {SECOND}}}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("LANGDOCK_WORKSPACES_FILE", str(names))
    both = dataclasses.replace(byok, database=database)

    built = build(both, tmp_path / "all.html")
    period = built.data["period"]
    values = chart_values(built.data, "workspaces")
    assert [value["label"] for value in values] == ["main", "second"]  # most messages first
    for value in values:
        wanted = _expected(database, value["workspace_id"], period["first_day"], period["last_day"])
        for key, number in wanted.items():
            assert value[key] == pytest.approx(number, rel=1e-9), (value["label"], key)

    # One workspace, by name: the page the original one-workspace file gives, no breakdown.
    alone = build(both, tmp_path / "main.html", "--workspace", "main")
    assert alone.data["charts"] == byok_report.data["charts"]
    assert alone.data["headline"] == byok_report.data["headline"]
    assert alone.data["period"] == byok_report.data["period"]
    assert f"workspace main ({main})" in alone.text

    # By id: the second workspace's own days and figures.
    second = build(both, tmp_path / "second.html", "--workspace", SECOND)
    days = second.data["period"]
    assert (days["first_day"], days["last_day"]) == (
        byok.first_day.isoformat(),
        (byok.first_day + dt.timedelta(days=SECOND_DAYS - 1)).isoformat(),
    )
    wanted = _expected(database, SECOND, days["first_day"], days["last_day"])
    assert second.data["headline"]["messages"] == wanted["messages"]
    assert second.data["headline"]["active_users"] == wanted["active_users"]
    assert second.data["headline"]["requests"] == wanted["requests"]


def test_an_unknown_workspace_gets_one_line_naming_those_loaded(
    byok: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANGDOCK_WORKSPACES_FILE", raising=False)
    monkeypatch.chdir(tmp_path)  # no workspaces.yml here: ids only
    database = _with_second_workspace(byok, tmp_path)
    out = tmp_path / "nope.html"
    result = _cli(database, out, "--workspace", "nope")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("langdock-report: error: --workspace 'nope': no such workspace")
    assert f"it holds: {_main_id(database)}, {SECOND}" in lines[0]
    assert not out.exists()


def test_the_workspaces_chart_draws_one_bar_per_workspace_offline(
    browser: Chromium, byok: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LANGDOCK_WORKSPACES_FILE", raising=False)
    monkeypatch.chdir(tmp_path)  # no workspaces.yml: the bars are labelled by id
    database = _with_second_workspace(byok, tmp_path)
    built = build(dataclasses.replace(byok, database=database), tmp_path / "report.html")
    page = browser.page()
    page.open(built.html, READY)
    assert page.evaluate("document.documentElement.dataset.reportState") == "ready"
    assert page.console_problems() == []
    assert page.requested_urls() == [built.html.resolve().as_uri()]
    drawn = page.evaluate(_MEASURE_CHARTS)["workspaces"]
    assert drawn["width"] > 200, drawn
    assert drawn["height"] > 50, drawn
    assert drawn["marks"] == {"rect": 2}, drawn  # ranked bars: one per workspace
    # A picture of the section to look at (REPORT_SHOT_DIR keeps it): the test cannot judge it.
    shots = Path(os.environ.get("REPORT_SHOT_DIR", tmp_path))
    page.section_picture("workspaces", shots / "workspaces.png")
