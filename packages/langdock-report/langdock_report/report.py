"""Everything the page shows, gathered from the marts: period, headline figures, charts."""

from __future__ import annotations

import dataclasses
import datetime as dt

from langdock_report import charts, charts_cost, charts_workflows, charts_workspaces, queries
from langdock_report import workspaces as scopes
from langdock_report.cards import Card, headline_cards
from langdock_report.charts import Chart
from langdock_report.period import Period, check_marts, resolve_period
from langdock_report.personal import PersonalData, detect
from langdock_report.warehouse import Row, Warehouse


@dataclasses.dataclass
class Report:
    period: Period
    source: str  # "emulator", "langdock" or "" when unknown
    personal: PersonalData
    warehouse: str
    schema: str
    generated_at: dt.datetime
    headline: Row
    cards: list[Card]
    charts: list[Chart]


def collect(
    warehouse: Warehouse,
    *,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    top: int = 10,
    source: str = "",
    hide_personal_data: bool = False,
    workspace: str | None = None,
) -> Report:
    check_marts(warehouse)
    # Before any other query: with --workspace, every one after this sees only that workspace.
    scope = scopes.choose(warehouse, workspace, scopes.names())
    period = resolve_period(warehouse, first_day, last_day)
    params = period.params(top)
    personal = detect(warehouse, hide_personal_data)

    def run(name: str) -> list[Row]:
        return queries.run(warehouse, name, params)

    (headline,) = run("headline")
    chart_list = [
        *charts_workspaces.workspace_charts(scope, run),
        charts.messages_by_surface(run("messages_by_surface"), period),
        charts.active_users_daily(run("active_users_daily"), period),
        charts.active_users_weekly(run("active_users_weekly")),
        charts.departments(run("departments")),
        charts.top_agents(run("top_agents"), personal.shown),
        charts.top_projects(run("top_projects"), personal.shown),
        *charts_cost.model_charts(run("models"), run("providers")),
        *charts_cost.api_key_charts(run("api_keys")),
        *charts_workflows.workflow_charts(warehouse, run),
    ]
    if not personal.shown:
        _drop_personal(chart_list)
    return Report(
        period=period,
        source=source,
        personal=personal,
        warehouse=warehouse.label
        + (f", workspace {scope.described(scope.workspace)}" if scope.workspace else ""),
        schema=warehouse.schema,
        generated_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
        headline=headline,
        cards=headline_cards(headline, period),
        charts=chart_list,
    )


def _drop_personal(chart_list: list[Chart]) -> None:
    """Owner e-mails leave the data too, not only the tables: the page embeds its numbers."""
    for chart in chart_list:
        for row in chart.rows:
            row.pop("owner_email", None)
        if chart.spec is not None:
            for value in chart.spec["data"]["values"]:
                value.pop("owner_email", None)
