"""The workflows section: runs, failures, duration and cost per workflow.

Shown only when the warehouse holds workflow runs at all: the workflow streams are not
selected by default, and without them dbt builds `workflow_runs_daily` empty (or an older
dbt project has no such mart).
"""

from __future__ import annotations

import typing as t

from langdock_report import specs
from langdock_report.charts import Chart, json_ready, top_note, unique_labels
from langdock_report.formatting import Column
from langdock_report.warehouse import Row, Warehouse

MART = "workflow_runs_daily"


def loaded(warehouse: Warehouse, run: t.Callable[[str], list[Row]]) -> bool:
    """Whether the section has anything to show in any period."""
    return MART in warehouse.tables() and bool(run("workflows_loaded")[0]["days"])


def workflow_charts(warehouse: Warehouse, run: t.Callable[[str], list[Row]]) -> list[Chart]:
    if not loaded(warehouse, run):
        return []
    rows = run("workflows")
    unique_labels(rows, "workflow_name", "workflow_id")
    spec = specs.ranked_bars(
        json_ready(rows),
        measure=("runs", "Runs"),
        colour=specs.WORKFLOW_COLOUR,
        tooltip=[
            specs.text_tip("label", "Workflow"),
            specs.count_tip("runs", "Runs"),
            specs.count_tip("failed", "Failed"),
            {"field": "success_rate", "type": "quantitative", "title": "Success rate",
             "format": ".0%"},
            specs.decimal_tip("slowest_p95_duration_s", "Slowest day's p95 duration (s)"),
            specs.money_tip("cost_usd", "Cost (USD)"),
        ],
        description="Workflow runs per workflow",
    )  # fmt: skip
    chart = Chart(
        id="workflow-runs",
        title="Workflow runs",
        subtitle="Runs per workflow created in the period (UTC days), how many failed, the "
        "success rate of the finished ones, the slowest day's p95 duration and the cost.",
        columns=[
            Column("label", "Workflow", "text"),
            Column("runs", "Runs"),
            Column("completed", "Completed"),
            Column("failed", "Failed"),
            Column("still_going", "Still going"),
            Column("success_rate", "Success rate", "pct"),
            Column("slowest_p95_duration_s", "Slowest p95 duration (s)", "float"),
            Column("cost_usd", "Cost (USD)", "usd"),
        ],
        rows=rows,
        spec=spec if rows else None,
        empty="No workflow runs in this period.",
        note=top_note(len(rows), "workflows_in_period", rows, "workflows that ran"),
        wide=True,
    )
    return [chart]
