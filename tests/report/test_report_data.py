"""Every headline figure and every chart's numbers equal the tests' own SQL on the same file.

The tests read other marts than the report where one exists (workspace_usage_daily for daily
totals) and otherwise aggregate plain rows in Python, so a wrong join, filter or grouping in
the report's SQL shows up as a difference.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import re
import typing as t
import urllib.parse

import pytest

from tests.report.report_support import MARTS, Built, chart_values, close, figures, query

pytestmark = pytest.mark.slow

Row = dict[str, t.Any]


def _period(built: Built) -> tuple[str, str]:
    return built.data["period"]["first_day"], built.data["period"]["last_day"]


def _days(first: str, last: str, offset: int, length: int) -> tuple[str, str]:
    end = dt.date.fromisoformat(last) - dt.timedelta(days=offset)
    return (end - dt.timedelta(days=length - 1)).isoformat(), end.isoformat()


def test_the_period_is_every_loaded_day_with_a_seven_day_comparison(byok_report: Built) -> None:
    period = byok_report.data["period"]
    workspace = byok_report.workspace
    assert (period["first_day"], period["last_day"]) == (
        workspace.first_day.isoformat(),
        workspace.last_day.isoformat(),
    )
    assert (period["days"], period["timezone"], period["compare_days"]) == (30, "UTC", 7)
    assert byok_report.data["source"] == ""  # no marker file next to this database


def test_headline_figures_and_changes_equal_independent_sql(byok_report: Built) -> None:
    headline = byok_report.data["headline"]
    first, last = _period(byok_report)
    period = figures(byok_report.workspace.database, first, last)
    recent = figures(byok_report.workspace.database, *_days(first, last, 0, 7))
    before = figures(byok_report.workspace.database, *_days(first, last, 7, 7))
    for key in ("messages", "active_users", "agents_used", "requests"):
        assert headline[key] == period[key], key
        assert headline[f"recent_{key}"] == recent[key], key
        assert headline[f"before_{key}"] == before[key], key
        expected = 100 * (recent[key] - before[key]) / before[key]
        assert close(headline[f"{key}_change_pct"], expected), key
    assert close(headline["avg_daily_active_users"], period["avg_daily_active_users"])
    assert period["cost_usd"] > 0, "a BYOK workspace reports model cost"
    assert close(headline["cost_usd"], period["cost_usd"])
    expected = 100 * (recent["cost_usd"] - before["cost_usd"]) / before["cost_usd"]
    assert close(headline["cost_usd_change_pct"], expected)


def test_headline_cards_show_the_figures(byok_report: Built) -> None:
    headline = byok_report.data["headline"]
    cards = dict(
        re.findall(
            r'data-figure="(\w+)">\s*<div class="card-label">[^<]*</div>\s*'
            r'<div class="card-value">([^<]*)</div>',
            byok_report.text,
        )
    )
    assert cards == {
        "messages": f"{headline['messages']:,}",
        "active_users": f"{headline['active_users']:,}",
        "agents_used": f"{headline['agents_used']:,}",
        "requests": f"{headline['requests']:,}",
        "cost_usd": f"${headline['cost_usd']:,.2f}",
    }


def test_messages_by_surface_equal_the_users_export(byok_report: Built) -> None:
    first, last = _period(byok_report)
    rows = query(
        byok_report.workspace.database,
        f"select usage_date as day, sum(chat_message_count) as chat, "
        f"sum(agent_message_count) as agents, sum(project_message_count) as projects, "
        f"sum(message_count) as total from {MARTS}.user_usage_daily "
        "where usage_date between ? and ? group by usage_date",
        [first, last],
    )
    expected = {
        (row["day"], surface): (row[key], row["total"])
        for row in rows
        for surface, key in (("Chat", "chat"), ("Agents", "agents"), ("Projects", "projects"))
    }
    values = chart_values(byok_report.data, "messages-by-surface")
    assert {(v["day"], v["surface"]): (v["messages"], v["day_total"]) for v in values} == expected
    assert len(values) == len(expected) == 3 * 30


def test_active_users_per_day_equal_the_workspace_mart(byok_report: Built) -> None:
    first, last = _period(byok_report)
    rows = query(
        byok_report.workspace.database,
        f"select usage_date as day, active_users from {MARTS}.workspace_usage_daily "
        "where usage_date between ? and ? order by usage_date",
        [first, last],
    )
    values = chart_values(byok_report.data, "active-users-daily")
    assert [(v["day"], v["active_users"]) for v in values] == [
        (r["day"], r["active_users"]) for r in rows
    ]


def test_active_users_per_week_count_distinct_users_of_monday_weeks(byok_report: Built) -> None:
    first, last = (dt.date.fromisoformat(d) for d in _period(byok_report))
    rows = query(
        byok_report.workspace.database,
        f"select user_id, usage_date from {MARTS}.user_usage_daily "
        "where message_count > 0 and usage_date between ? and ?",
        [first, last],
    )
    users: dict[dt.date, set[str]] = collections.defaultdict(set)
    for row in rows:
        day = dt.date.fromisoformat(row["usage_date"])
        users[day - dt.timedelta(days=day.weekday())].add(row["user_id"])
    expected = [
        {
            "week_start": monday.isoformat(),
            "active_users": len(users[monday]),
            "days_in_period": (min(monday + dt.timedelta(days=6), last) - max(monday, first)).days
            + 1,
        }
        for monday in sorted(users)
    ]
    values = chart_values(byok_report.data, "active-users-weekly")
    assert [{k: v[k] for k in expected[0]} for v in values] == expected
    # 2025-02-01 is a Saturday and 2025-03-02 a Sunday: the first week is cut to two days.
    assert values[0]["days_in_period"] == 2
    assert values[-1]["days_in_period"] == 7


def test_adoption_by_department_follows_each_users_latest_department(byok_report: Built) -> None:
    first, last = _period(byok_report)
    rows = query(
        byok_report.workspace.database,
        f"select user_id, usage_date, department, message_count from {MARTS}.user_usage_daily "
        "where usage_date <= ? order by usage_date",
        [last],
    )
    department: dict[str, str] = {}
    active: set[str] = set()
    messages: collections.Counter[str] = collections.Counter()
    for row in rows:
        department[row["user_id"]] = (row["department"] or "").strip() or "(no department)"
        if first <= row["usage_date"] <= last:
            messages[row["user_id"]] += row["message_count"] or 0
            if (row["message_count"] or 0) > 0:
                active.add(row["user_id"])
    expected: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    for user, name in department.items():
        expected[name][0] += 1
        expected[name][1] += user in active
        expected[name][2] += messages[user]
    values = chart_values(byok_report.data, "departments")
    got = {v["department"]: [v["users_seen"], v["active_users"], v["messages"]] for v in values}
    assert got == dict(expected)
    for value in values:
        assert close(value["adoption"], value["active_users"] / value["users_seen"])
    assert [v["users_seen"] for v in values] == sorted(
        (v["users_seen"] for v in values), reverse=True
    )


def _ranked(rows: list[Row], key: str, top: int = 10) -> list[Row]:
    return sorted(rows, key=lambda row: (-row[key], row["id"]))[:top]


def _latest(rows: list[Row], name: str) -> dict[str, t.Any]:
    by_day = sorted(rows, key=lambda row: row["usage_date"])
    return {row["id"]: row[name] for row in by_day}


def test_top_agents_equal_python_sums_of_the_agent_mart(byok_report: Built) -> None:
    first, last = _period(byok_report)
    rows = query(
        byok_report.workspace.database,
        f"select agent_id as id, agent_name, agent_owner_email, usage_date, message_count, "
        f"conversation_count, active_users from {MARTS}.agent_usage_daily where usage_date <= ?",
        [last],
    )
    names, owners = _latest(rows, "agent_name"), _latest(rows, "agent_owner_email")
    totals: dict[str, Row] = {}
    for row in rows:
        if not first <= row["usage_date"] <= last:
            continue
        total = totals.setdefault(
            row["id"], {"id": row["id"], "messages": 0, "conversations": 0, "au": [], "days": set()}
        )
        total["messages"] += row["message_count"]
        total["conversations"] += row["conversation_count"]
        total["au"].append(row["active_users"])
        if row["message_count"] > 0:
            total["days"].add(row["usage_date"])
    used = [total for total in totals.values() if total["messages"] > 0]
    values = chart_values(byok_report.data, "top-agents")
    assert [v["agent_id"] for v in values] == [r["id"] for r in _ranked(used, "messages")]
    for value, total in zip(values, _ranked(used, "messages"), strict=True):
        assert value["agent_name"] == names[total["id"]]
        assert value["owner_email"] == owners[total["id"]]
        assert value["label"] == " ".join(names[total["id"]].split())
        assert (value["messages"], value["conversations"], value["days_used"]) == (
            total["messages"],
            total["conversations"],
            len(total["days"]),
        )
        assert close(value["avg_daily_active_users"], sum(total["au"]) / len(total["au"]))
        assert close(value["messages_per_active_user"], total["messages"] / sum(total["au"]))
        assert value["agents_in_period"] == len(used)


def test_top_projects_equal_python_sums_of_the_project_mart(byok_report: Built) -> None:
    first, last = _period(byok_report)
    rows = query(
        byok_report.workspace.database,
        f"select project_id as id, project_name, usage_date, message_count "
        f"from {MARTS}.project_usage_daily where usage_date <= ?",
        [last],
    )
    names = _latest(rows, "project_name")
    messages: collections.Counter[str] = collections.Counter()
    for row in rows:
        if first <= row["usage_date"] <= last:
            messages[row["id"]] += row["message_count"]
    used = [{"id": k, "messages": v} for k, v in messages.items() if v > 0]
    assert len(used) > 10, "the emulator has 12 projects: the list must be cut to the top 10"
    values = chart_values(byok_report.data, "top-projects")
    expected = _ranked(used, "messages")
    assert [(v["project_id"], v["messages"]) for v in values] == [
        (r["id"], r["messages"]) for r in expected
    ]
    assert [v["project_name"] for v in values] == [names[r["id"]] for r in expected]
    assert 'class="note">Top 10 of 12 projects used<' in byok_report.text


def _model_totals(built: Built) -> dict[tuple[str, str], Row]:
    first, last = _period(built)
    rows = query(
        built.workspace.database,
        f"select model_name, model_provider, is_bring_your_own_key, request_count, "
        f"total_cost_usd from {MARTS}.model_usage_daily where usage_date between ? and ?",
        [first, last],
    )
    totals: dict[tuple[str, str], Row] = {}
    for row in rows:
        key = (row["model_name"], row["model_provider"])
        total = totals.setdefault(key, {"requests": 0, "byok": 0, "cost": None})
        total["requests"] += row["request_count"]
        total["byok"] += row["request_count"] if row["is_bring_your_own_key"] else 0
        if row["total_cost_usd"] is not None:
            total["cost"] = (total["cost"] or 0) + row["total_cost_usd"]
    return totals


def test_requests_and_cost_per_model_equal_python_sums(byok_report: Built) -> None:
    totals = _model_totals(byok_report)
    values = chart_values(byok_report.data, "model-requests")
    expected = sorted(totals.items(), key=lambda kv: (-kv[1]["requests"], kv[0]))[:10]
    assert [(v["model_name"], v["model_provider"]) for v in values] == [k for k, _ in expected]
    for value, (_, total) in zip(values, expected, strict=True):
        assert (value["requests"], value["byok_requests"]) == (total["requests"], total["byok"])
        assert close(value["cost_usd"], total["cost"])
    costed = chart_values(byok_report.data, "model-cost")
    with_cost = {k: v for k, v in totals.items() if v["cost"] is not None}
    # A BYOK workspace's models export has cost columns: every model has a cost.
    assert with_cost.keys() == totals.keys()
    assert sorted(v["cost_usd"] for v in costed) == pytest.approx(
        sorted(v["cost"] for v in with_cost.values())
    )
    assert [v["cost_usd"] for v in costed] == sorted((v["cost_usd"] for v in costed), reverse=True)


def test_requests_and_cost_per_provider_equal_python_sums(byok_report: Built) -> None:
    providers: dict[str, Row] = {}
    for (model, provider), total in _model_totals(byok_report).items():
        entry = providers.setdefault(provider, {"requests": 0, "cost": None, "models": set()})
        entry["requests"] += total["requests"]
        entry["models"].add(model)
        if total["cost"] is not None:
            entry["cost"] = (entry["cost"] or 0) + total["cost"]
    values = chart_values(byok_report.data, "provider-requests")
    assert {v["model_provider"]: v["requests"] for v in values} == {
        k: v["requests"] for k, v in providers.items()
    }
    for value in values:
        entry = providers[value["model_provider"]]
        assert value["models"] == len(entry["models"])
        assert close(value["cost_usd"], entry["cost"])


def test_api_keys_by_requests_and_cost_equal_the_staging_rows(byok_report: Built) -> None:
    first, last = _period(byok_report)
    # Straight from staging: the mart must add and lose nothing.
    rows = query(
        byok_report.workspace.database,
        "select api_key_id as id, api_key_name, window_start as usage_date, request_count, "
        "total_cost_usd from langdock_staging.stg_langdock__api_keys_usage where window_start <= ?",
        [last],
    )
    names = _latest(rows, "api_key_name")
    totals: dict[str, Row] = {}
    for row in rows:
        if first <= row["usage_date"] <= last:
            total = totals.setdefault(row["id"], {"id": row["id"], "requests": 0, "cost": 0.0})
            total["requests"] += row["request_count"]
            total["cost"] += row["total_cost_usd"]
    expected = _ranked(list(totals.values()), "requests")
    values = chart_values(byok_report.data, "api-key-requests")
    assert [(v["api_key_id"], v["requests"]) for v in values] == [
        (r["id"], r["requests"]) for r in expected
    ]
    for value, total in zip(values, expected, strict=True):
        assert value["api_key_name"] == names[total["id"]]
        assert close(value["cost_usd"], total["cost"])
        assert close(value["cost_per_request_usd"], total["cost"] / total["requests"])
    by_cost = chart_values(byok_report.data, "api-key-cost")
    assert [v["api_key_id"] for v in by_cost] == [
        r["id"] for r in sorted(expected, key=lambda r: -r["cost"])
    ]


def _csv_rows(text: str, chart_id: str) -> list[list[str]]:
    link = rf'download="langdock-{re.escape(chart_id)}\.csv" href="data:text/csv;charset=utf-8,'
    found = re.search(link + '([^"]*)"', text)
    assert found, chart_id
    decoded = urllib.parse.unquote(found.group(1)).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(decoded)))


def test_each_chart_has_a_table_and_a_csv_of_its_numbers(byok_report: Built) -> None:
    for chart in byok_report.data["charts"]:
        values = chart["spec"]["data"]["values"]
        table = re.search(
            rf'<table id="table-{chart["id"]}">.*?<tbody>(.*?)</tbody>', byok_report.text, re.S
        )
        assert table, chart["id"]
        assert table.group(1).count("<tr>") == len(values), chart["id"]
        header, *lines = _csv_rows(byok_report.text, chart["id"])
        assert len(lines) == len(values), chart["id"]
    # The numbers in a CSV are raw values: a spreadsheet reads them as numbers.
    header, *lines = _csv_rows(byok_report.text, "messages-by-surface")
    assert header == ["Day", "Surface", "Messages", "All surfaces"]
    values = chart_values(byok_report.data, "messages-by-surface")
    assert [[v["day"], v["surface"], str(v["messages"]), str(v["day_total"])] for v in values] == (
        lines
    )
