"""Each emulator workspace's ground truth, and what a warehouse holds per workspace."""

from __future__ import annotations

import datetime as dt
import typing as t

from langdock_emulator import Emulator

# (table, emulator export type, summed column)
CHECKED = (
    ("projects_usage", "projects", "messages"),
    ("models_usage", "models", "requests"),
    ("api_keys_usage", "api-keys", "requests"),
)


def days(start: str, end: str) -> list[str]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return [(first + dt.timedelta(n)).isoformat() for n in range((last - first).days + 1)]


def truth(tenant: Emulator, start: str, end: str) -> dict[str, tuple[int, float]]:
    """(rows, sum of the column) per table for day windows start..end, as the tap exports."""
    totals = {}
    for table, export_type, column in CHECKED:
        rows = [
            row
            for day in days(start, end)
            for row in tenant.expected_rows(
                export_type, f"{day}T00:00:00.000", f"{day}T23:59:59.999"
            )
        ]
        totals[table] = (len(rows), round(sum(float(row[column] or 0) for row in rows), 6))
    return totals


def loaded(
    query: t.Callable[[str], list[tuple[t.Any, ...]]], schema: str
) -> dict[str, dict[str, tuple[int, float]]]:
    """org_id -> table -> (rows, sum of the column) in the warehouse."""
    found: dict[str, dict[str, tuple[int, float]]] = {}
    for table, _, column in CHECKED:
        sql = f"select org_id, count(*), sum({column}) from {schema}.{table} group by org_id"
        for org_id, count, total in query(sql):
            found.setdefault(str(org_id), {})[table] = (int(count), round(float(total or 0), 6))
    return found
