"""The charts of requests and cost: per model, per provider and per API key."""

from __future__ import annotations

import dataclasses

from langdock_report import specs
from langdock_report.charts import Chart, json_ready, top_note, unique_labels
from langdock_report.formatting import Column
from langdock_report.warehouse import Row

NO_MODEL_COST = (
    "No cost reported: Langdock's models export has cost columns only in workspaces with "
    "bring-your-own-key (BYOK) models."
)


def _providers(rows: list[Row]) -> list[str]:
    return sorted({str(row["model_provider"]) for row in rows})


def model_requests(rows: list[Row], providers: list[str]) -> Chart:
    unique_labels(rows, "model_name", "model_name", qualifier="model_provider")
    spec = specs.ranked_bars(
        json_ready(rows),
        measure=("requests", "Requests"),
        colour=("model_provider", providers),
        tooltip=[
            specs.text_tip("model_name", "Model"),
            specs.text_tip("model_provider", "Provider"),
            specs.count_tip("requests", "Requests"),
            specs.count_tip("byok_requests", "With your own key (BYOK)"),
            specs.money_tip("cost_usd", "Cost (USD)"),
        ],
        description="Requests per model, coloured by provider",
    )
    return Chart(
        id="model-requests",
        title="Requests per model",
        subtitle="Model requests from every surface and the API, coloured by provider.",
        columns=[
            Column("model_name", "Model", "text"),
            Column("model_provider", "Provider", "text"),
            Column("requests", "Requests"),
            Column("byok_requests", "BYOK requests"),
            Column("cost_usd", "Cost (USD)", "usd"),
        ],
        rows=rows,
        spec=spec if rows else None,
        empty="No model requests in this period.",
        note=top_note(len(rows), "models_in_period", rows, "models used"),
    )


def model_cost(rows: list[Row], providers: list[str]) -> Chart:
    costed = [row for row in rows if row.get("cost_usd") is not None]
    spec = specs.ranked_bars(
        json_ready(sorted(costed, key=lambda row: (-row["cost_usd"], row["label"]))),
        measure=("cost_usd", "Cost (USD)"),
        colour=("model_provider", providers),
        tooltip=[
            specs.text_tip("model_name", "Model"),
            specs.text_tip("model_provider", "Provider"),
            specs.money_tip("cost_usd", "Cost (USD)"),
            specs.count_tip("requests", "Requests"),
        ],
        description="Cost per model",
    )
    return Chart(
        id="model-cost",
        title="Cost per model",
        subtitle="Estimated provider cost in USD, which Langdock reports in workspaces with "
        "bring-your-own-key (BYOK) models.",
        columns=[
            Column("model_name", "Model", "text"),
            Column("model_provider", "Provider", "text"),
            Column("cost_usd", "Cost (USD)", "usd"),
            Column("requests", "Requests"),
            Column("byok_requests", "BYOK requests"),
        ],
        rows=costed,
        spec=spec if costed else None,
        empty=NO_MODEL_COST,
    )


def providers_chart(rows: list[Row]) -> Chart:
    for row in rows:
        row["label"] = str(row["model_provider"])
    spec = specs.ranked_bars(
        json_ready(rows),
        measure=("requests", "Requests"),
        colour=("model_provider", _providers(rows)),
        tooltip=[
            specs.text_tip("model_provider", "Provider"),
            specs.count_tip("requests", "Requests"),
            specs.count_tip("models", "Models used"),
            specs.money_tip("cost_usd", "Cost (USD)"),
        ],
        description="Requests per provider",
        legend=False,
    )
    return Chart(
        id="provider-requests",
        title="Requests and cost per provider",
        subtitle="All model requests per provider, and their cost where Langdock reports it "
        "(BYOK workspaces).",
        columns=[
            Column("model_provider", "Provider", "text"),
            Column("requests", "Requests"),
            Column("models", "Models used"),
            Column("cost_usd", "Cost (USD)", "usd"),
        ],
        rows=rows,
        spec=spec if rows else None,
        empty="No model requests in this period.",
    )


def api_key_charts(rows: list[Row]) -> list[Chart]:
    unique_labels(rows, "api_key_name", "api_key_id")
    columns = [
        Column("label", "API key", "text"),
        Column("requests", "Requests"),
        Column("cost_usd", "Cost (USD)", "usd"),
        Column("cost_per_request_usd", "Cost per request (USD)", "usd"),
    ]
    tooltip = [
        specs.text_tip("label", "API key"),
        specs.count_tip("requests", "Requests"),
        specs.money_tip("cost_usd", "Cost (USD)"),
    ]
    note = top_note(len(rows), "api_keys_in_period", rows, "API keys used")
    by_cost = sorted(
        (row for row in rows if row.get("cost_usd") is not None),
        key=lambda row: (-row["cost_usd"], row["label"]),
    )

    def chart(key: str, title: str, ordered: list[Row], measure: tuple[str, str]) -> Chart:
        spec = specs.ranked_bars(
            json_ready(ordered),
            measure=measure,
            colour=specs.KEY_COLOUR if measure[0] == "requests" else specs.COST_COLOUR,
            tooltip=tooltip,
            description=title,
        )
        return Chart(
            id=key,
            title=title,
            subtitle="Requests made with each API key, and what Langdock charged for them.",
            columns=columns,
            rows=ordered,
            spec=spec if ordered else None,
            empty="No API key was used in this period.",
            note=note,
        )

    return [
        chart("api-key-requests", "API keys by requests", rows, ("requests", "Requests")),
        chart("api-key-cost", "API keys by cost", by_cost, ("cost_usd", "Cost (USD)")),
    ]


def model_charts(models: list[Row], providers: list[Row]) -> list[Chart]:
    domain = _providers(providers) or _providers(models)
    requests = model_requests(models, domain)
    # Cost spans the page's width: it is either a long list or a one-line empty state.
    cost = dataclasses.replace(model_cost(models, domain), wide=True)
    return [requests, providers_chart(providers), cost]
