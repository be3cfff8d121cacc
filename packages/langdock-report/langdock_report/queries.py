"""The report's SQL: one file per figure in ``sql/``, read once per process."""

from __future__ import annotations

import functools
from importlib import resources

from langdock_report.warehouse import Row, Warehouse

# The marts every query reads; the report checks they exist before it runs any.
MARTS = (
    "workspace_usage_daily",
    "user_usage_daily",
    "agent_usage_daily",
    "project_usage_daily",
    "model_usage_daily",
    "api_key_usage_daily",
)


@functools.cache
def sql_text(name: str) -> str:
    return (resources.files("langdock_report") / "sql" / f"{name}.sql").read_text("utf-8")


def run(warehouse: Warehouse, name: str, params: dict[str, object]) -> list[Row]:
    return warehouse.rows(sql_text(name), params)
