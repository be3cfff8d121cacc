"""The report's workflows section: shown only when workflow runs were loaded, figures exact.

The byok workspace is loaded without the workflow streams (they are not selected by default),
so dbt builds workflow_runs_daily empty and the page has no workflows section. A copy of it
gets a workflow_runs_daily of known rows; the section's figures are then aggregated here in
Python from those rows. The mart's own figures are checked against the emulator's ground
truth in tests/workflow/test_workflow_meltano.py.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import typing as t
from pathlib import Path

import duckdb
import pytest

from tests.report.chromium import Chromium
from tests.report.report_support import MARTS, Built, Workspace, build, chart_values
from tests.report.test_report_browser import _MEASURE_CHARTS, READY

pytestmark = pytest.mark.slow

COLUMNS = (
    "run_date, workflow_id, workflow_name, run_count, completed_count, failed_count, "
    "cancelled_count, open_count, p95_duration_ms, total_cost_usd"
)
# (day, id, name, runs, completed, failed, cancelled, going, p95 ms, cost). wf_b is renamed
# on its last day; 2025-01-20 lies before the period; wf_d has only runs still going.
ROWS = [
    ("2025-01-20", "wf_a", "Invoice triage", 50, 50, 0, 0, 0, 9000.0, 5.0),
    ("2025-02-01", "wf_a", "Invoice triage", 8, 6, 2, 0, 0, 1200.0, 0.8),
    ("2025-02-14", "wf_a", "Invoice triage", 5, 3, 1, 0, 1, 4100.5, 0.55),
    ("2025-02-03", "wf_b", "Digest", 4, 4, 0, 0, 0, 300.0, 0.1),
    ("2025-03-02", "wf_b", "Weekly digest", 3, 1, 1, 1, 0, 700.0, 0.25),
    ("2025-02-20", "wf_c", 'Lead "enrichment" \u2013 CRM', 12, 12, 0, 0, 0, 15000.0, 2.0),
    ("2025-02-28", "wf_d", "Waiting", 2, 0, 0, 0, 2, None, 0.0),
]


def _with_workflows(workspace: Workspace, directory: Path, rows: list[tuple[t.Any, ...]]) -> Path:
    database = directory / "with-workflows.duckdb"
    shutil.copyfile(workspace.database, database)
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"delete from {MARTS}.workflow_runs_daily")
        marks = ", ".join("?" * 10)
        for row in rows:
            connection.execute(
                f"insert into {MARTS}.workflow_runs_daily ({COLUMNS}) values ({marks})", list(row)
            )
    return database


def _expected(first: str, last: str) -> dict[str, dict[str, t.Any]]:
    totals: dict[str, dict[str, t.Any]] = {}
    for day, key, name, runs, done, failed, cancelled, going, p95, cost in sorted(ROWS):
        if not first <= day <= last:
            continue
        entry = totals.setdefault(
            key, {"runs": 0, "completed": 0, "failed": 0, "still_going": 0, "p95": [], "cost": 0}
        )
        entry["workflow_name"] = name  # the latest day's name: rows are sorted by day
        entry["runs"] += runs
        entry["completed"] += done
        entry["failed"] += failed
        entry["still_going"] += going
        entry["cost"] += cost
        if p95 is not None:
            entry["p95"].append(p95)
        del cancelled  # counted among the finished runs, as runs - still going
    for entry in totals.values():
        finished = entry["runs"] - entry["still_going"]
        entry["success_rate"] = entry["completed"] / finished if finished else None
        entry["slowest_p95_duration_s"] = max(entry.pop("p95")) / 1000 if entry["p95"] else None
    return totals


def test_no_workflows_section_without_loaded_runs(byok_report: Built) -> None:
    assert "workflow-runs" not in {chart["id"] for chart in byok_report.data["charts"]}
    assert "Workflow runs" not in byok_report.text


def test_the_workflows_section_equals_the_rows_of_the_mart(byok: Workspace, tmp_path: Path) -> None:
    database = _with_workflows(byok, tmp_path, ROWS)
    built = build(dataclasses.replace(byok, database=database), tmp_path / "report.html")
    period = built.data["period"]
    expected = _expected(period["first_day"], period["last_day"])
    values = chart_values(built.data, "workflow-runs")
    assert [value["workflow_id"] for value in values] == ["wf_a", "wf_c", "wf_b", "wf_d"]
    for value in values:
        want = expected[value["workflow_id"]]
        assert value["label"] == want["workflow_name"]
        for key in ("runs", "completed", "failed", "still_going"):
            assert value[key] == want[key], (value["workflow_id"], key)
        for key, wanted in (
            ("success_rate", want["success_rate"]),
            ("slowest_p95_duration_s", want["slowest_p95_duration_s"]),
            ("cost_usd", want["cost"]),
        ):
            # dbt.type_float() is single precision on DuckDB: six digits, not nine.
            assert value[key] == pytest.approx(wanted, rel=1e-6), (value["workflow_id"], key)
    assert "Weekly digest" in built.text
    assert ">Digest<" not in built.text


def test_a_period_without_runs_says_so(byok: Workspace, tmp_path: Path) -> None:
    before = [row for row in ROWS if row[0] < "2025-02-01"]
    database = _with_workflows(byok, tmp_path, before)
    built = build(dataclasses.replace(byok, database=database), tmp_path / "report.html")
    assert "workflow-runs" not in {chart["id"] for chart in built.data["charts"]}
    assert "No workflow runs in this period." in built.text


def test_the_workflows_chart_draws_one_bar_per_workflow_offline(
    browser: Chromium, byok: Workspace, tmp_path: Path
) -> None:
    database = _with_workflows(byok, tmp_path, ROWS)
    built = build(dataclasses.replace(byok, database=database), tmp_path / "report.html")
    page = browser.page()
    page.open(built.html, READY)
    assert page.evaluate("document.documentElement.dataset.reportState") == "ready"
    assert page.console_problems() == []
    assert page.requested_urls() == [built.html.resolve().as_uri()]
    drawn = page.evaluate(_MEASURE_CHARTS)["workflow-runs"]
    rows = len(chart_values(built.data, "workflow-runs"))
    assert drawn["width"] > 200, drawn
    assert drawn["height"] > 100, drawn
    assert drawn["marks"] == {"rect": rows}, drawn  # ranked bars: one per workflow
    # A picture of the section to look at (REPORT_SHOT_DIR keeps it): the test cannot judge it.
    shots = Path(os.environ.get("REPORT_SHOT_DIR", tmp_path))
    page.section_picture("workflow-runs", shots / "workflows.png")
