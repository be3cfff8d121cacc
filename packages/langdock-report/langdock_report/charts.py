"""The report's charts: each one's numbers (from ``sql/``), table columns and Vega-Lite spec."""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing as t

from langdock_report import specs
from langdock_report.formatting import Column, day, day_range, one_line
from langdock_report.period import Period
from langdock_report.warehouse import Row


@dataclasses.dataclass
class Chart:
    id: str
    title: str
    subtitle: str
    columns: list[Column]
    rows: list[Row]
    spec: specs.Spec | None
    # Shown instead of the chart when there is nothing to draw.
    empty: str
    note: str = ""
    wide: bool = False


def json_ready(rows: t.Sequence[Row]) -> list[Row]:
    """Rows as the page's JSON holds them: dates as ISO strings."""
    return [
        {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()} for row in rows
    ]


def unique_labels(
    rows: list[Row], name_key: str, id_key: str, qualifier: str | None = None
) -> None:
    """Give every row a one-line ``label``; equal names get the qualifier (or id) added."""
    names = [one_line(row[name_key]) or str(row[id_key]) for row in rows]
    for row, name in zip(rows, names, strict=True):
        label = name
        if names.count(name) > 1:
            extra = row[qualifier] if qualifier else str(row[id_key])[:8]
            label = f"{name} ({extra})"
        row["label"] = label


def top_note(shown: int, total_key: str, rows: list[Row], noun: str) -> str:
    total = int(rows[0][total_key]) if rows else 0
    return f"Top {shown} of {total:,} {noun}" if total > shown else ""


def messages_by_surface(rows: list[Row], period: Period) -> Chart:
    spec = (
        specs.messages_by_surface(
            json_ready(rows), period.timezone, period.first_day, period.last_day
        )
        if rows
        else None
    )
    return Chart(
        id="messages-by-surface",
        title="Messages per day by surface",
        subtitle="Messages users sent in chat, to agents and in projects; bars stack to the "
        "day's total.",
        columns=[
            Column("day", "Day", "date"),
            Column("surface", "Surface", "text"),
            Column("messages", "Messages"),
            Column("day_total", "All surfaces"),
        ],
        rows=rows,
        spec=spec,
        empty="No messages in this period.",
        wide=True,
    )


def active_users_daily(rows: list[Row], period: Period) -> Chart:
    return Chart(
        id="active-users-daily",
        title="Active users per day",
        subtitle="Users who sent at least one message that day.",
        columns=[Column("day", "Day", "date"), Column("active_users", "Active users")],
        rows=rows,
        spec=specs.active_users_daily(
            json_ready(rows), period.timezone, period.first_day, period.last_day
        )
        if rows
        else None,
        empty="No user activity in this period.",
    )


def active_users_weekly(rows: list[Row]) -> Chart:
    for row in rows:
        start: dt.date = row["week_start"]
        row["week_label"] = day_range(start, start + dt.timedelta(days=6))
    partial = any(row["days_in_period"] < 7 for row in rows)
    return Chart(
        id="active-users-weekly",
        title="Active users per week",
        subtitle="Distinct users with a message in the ISO week (Monday to Sunday)."
        + (" Lighter bars: weeks only partly inside the period." if partial else ""),
        columns=[
            Column("week_start", "Week starting", "date"),
            Column("active_users", "Active users"),
            Column("days_in_period", "Days in the period"),
        ],
        rows=rows,
        spec=specs.active_users_weekly(json_ready(rows)) if rows else None,
        empty="No user activity in this period.",
    )


def departments(rows: list[Row]) -> Chart:
    return Chart(
        id="departments",
        title="Adoption by department",
        subtitle="Users seen in any loaded day up to the period's end (light) and those active "
        "in the period (dark), with the share active.",
        columns=[
            Column("department", "Department", "text"),
            Column("users_seen", "Users seen"),
            Column("active_users", "Active users"),
            Column("adoption", "Adoption", "pct"),
            Column("messages", "Messages"),
        ],
        rows=rows,
        spec=specs.departments(json_ready(rows)) if rows else None,
        empty="No users in the loaded data.",
        wide=True,
    )


def top_agents(rows: list[Row], personal: bool) -> Chart:
    unique_labels(rows, "agent_name", "agent_id")
    columns = [
        Column("label", "Agent", "text"),
        Column("messages", "Messages"),
        Column("conversations", "Conversations"),
        Column("avg_daily_active_users", "Active users (daily average)", "float"),
        Column("messages_per_active_user", "Messages per active user (daily)", "float"),
        Column("days_used", "Days used"),
    ]
    if personal:
        columns.append(Column("owner_email", "Owner", "text"))
    tooltip = [
        specs.text_tip("label", "Agent"),
        specs.count_tip("messages", "Messages"),
        specs.count_tip("conversations", "Conversations"),
        specs.decimal_tip("avg_daily_active_users", "Active users per day"),
        specs.decimal_tip("messages_per_active_user", "Messages per active user"),
    ]
    spec = specs.ranked_bars(
        json_ready(rows),
        measure=("messages", "Messages"),
        colour=specs.AGENT_COLOUR,
        tooltip=tooltip,
        description="Agents by messages",
    )
    return Chart(
        id="top-agents",
        title="Top agents",
        subtitle="Messages to each agent. Langdock counts an agent's active users per day, so "
        "the table gives their daily average.",
        columns=columns,
        rows=rows,
        spec=spec if rows else None,
        empty="No agent was used in this period.",
        note=top_note(len(rows), "agents_in_period", rows, "agents used"),
    )


def top_projects(rows: list[Row], personal: bool) -> Chart:
    unique_labels(rows, "project_name", "project_id")
    columns = [
        Column("label", "Project", "text"),
        Column("messages", "Messages"),
        Column("days_used", "Days used"),
    ]
    if personal:
        columns.append(Column("owner_email", "Owner", "text"))
    spec = specs.ranked_bars(
        json_ready(rows),
        measure=("messages", "Messages"),
        colour=specs.PROJECT_COLOUR,
        tooltip=[
            specs.text_tip("label", "Project"),
            specs.count_tip("messages", "Messages"),
            specs.count_tip("days_used", "Days used"),
        ],
        description="Projects by messages",
    )
    return Chart(
        id="top-projects",
        title="Top projects",
        subtitle="Messages in each project's chats.",
        columns=columns,
        rows=rows,
        spec=spec if rows else None,
        empty="No project was used in this period.",
        note=top_note(len(rows), "projects_in_period", rows, "projects used"),
    )


def period_caption(period: Period) -> str:
    return f"{day_range(period.first_day, period.last_day)} ({period.days:,} days)"


def loaded_caption(period: Period) -> str:
    return f"loaded: {day(period.loaded_first)} to {day(period.loaded_last)}"
