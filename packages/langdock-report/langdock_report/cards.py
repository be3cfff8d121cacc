"""The headline figures at the top of the page, with their change over the last days."""

from __future__ import annotations

import dataclasses
import typing as t

from langdock_report.formatting import DASH, decimal, integer, usd
from langdock_report.period import Period
from langdock_report.warehouse import Row


@dataclasses.dataclass(frozen=True)
class Card:
    key: str
    label: str
    text: str
    detail: str
    change_text: str
    # "up" / "down" / "flat" / "" (nothing to compare); cost changes are never "good" or "bad".
    trend: str
    neutral: bool = False


def _change(row: Row, key: str, period: Period) -> tuple[str, str]:
    """The change line of a card and its trend (the SQL computed the percentage)."""
    days = period.compare_days
    if days is None:
        if period.window_days > 1:
            return "Loaded in week or month windows: no days to compare", ""
        return "Period too short to compare (needs 14 days or more)", ""
    pct = row.get(f"{key}_change_pct")
    if pct is None:
        return f"None in the {days} days before the last {days}: nothing to compare", ""
    trend = "flat" if abs(pct) < 0.05 else ("up" if pct > 0 else "down")
    arrow = {"up": "\u25b2", "down": "\u25bc", "flat": "\u25cf"}[trend]
    return f"{arrow} {abs(pct):.1f}% last {days} days vs the {days} before", trend


def _average(value: object) -> str:
    """One decimal for small teams (12.5 users), none once it would only be noise."""
    return decimal(value, 1 if value is not None and float(t.cast(float, value)) < 100 else 0)


def headline_cards(row: Row, period: Period) -> list[Card]:
    def card(key: str, label: str, text: str, detail: str, neutral: bool = False) -> Card:
        change_text, trend = _change(row, key, period)
        return Card(key, label, text, detail, change_text, trend, neutral)

    has_cost = bool(row.get("rows_with_cost"))
    cost = card(
        "cost_usd",
        "Model cost",
        usd(row["cost_usd"]) if has_cost else DASH,
        "Estimated provider cost (BYOK workspace)"
        if has_cost
        else "Langdock reports model cost only with bring-your-own-key (BYOK)",
        neutral=True,
    )
    if not has_cost:
        cost = dataclasses.replace(cost, change_text="", trend="")
    return [
        card("messages", "Messages", integer(row["messages"]), "Chat, agents and projects"),
        card(
            "active_users",
            "Active users",
            integer(row["active_users"]),
            f"{_average(row['avg_daily_active_users'])} on an average day",
        ),
        card("agents_used", "Agents used", integer(row["agents_used"]), "With one message or more"),
        card("requests", "Model requests", integer(row["requests"]), "All models and surfaces"),
        cost,
    ]
