"""The per-workspace breakdown: the headline's figures for each workspace side by side.

Shown only when the marts hold more than one workspace and the report shows them all (not
one with ``--workspace``).
"""

from __future__ import annotations

import typing as t

from langdock_report import specs
from langdock_report.charts import Chart, json_ready
from langdock_report.formatting import Column
from langdock_report.warehouse import Row
from langdock_report.workspaces import Scope


def workspace_charts(scope: Scope, run: t.Callable[[str], list[Row]]) -> list[Chart]:
    if scope.workspace is not None or len(scope.loaded) < 2:
        return []
    rows = run("workspace_breakdown")
    for row in rows:
        row["label"] = scope.label(str(row["workspace_id"]))
    spec = specs.ranked_bars(
        json_ready(rows),
        measure=("messages", "Messages"),
        colour=specs.USERS_COLOUR,
        tooltip=[
            specs.text_tip("label", "Workspace"),
            specs.count_tip("messages", "Messages"),
            specs.count_tip("active_users", "Active users"),
            specs.count_tip("requests", "Model requests"),
            specs.money_tip("cost_usd", "Model cost (USD)"),
            specs.count_tip("api_requests", "API requests"),
        ],
        description="Messages per workspace",
    )
    chart = Chart(
        id="workspaces",
        title="Workspaces",
        subtitle=f"The {len(scope.loaded)} loaded workspaces in the period: messages, active "
        "users, model requests and cost, API requests (--workspace NAME_OR_ID builds the "
        "report of one).",
        columns=[
            Column("label", "Workspace", "text"),
            Column("workspace_id", "Workspace id", "text"),
            Column("messages", "Messages"),
            Column("active_users", "Active users"),
            Column("requests", "Model requests"),
            Column("cost_usd", "Model cost (USD)", "usd"),
            Column("api_requests", "API requests"),
        ],
        rows=rows,
        spec=spec if rows else None,
        empty="No workspace has usage in this period.",
        wide=True,
    )
    return [chart]
