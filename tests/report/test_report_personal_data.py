"""Personal data follows the tap's pii setting as loaded: with hash or drop, none on the page."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest

from tests.report.report_support import (
    MARTS,
    Built,
    Workspace,
    build,
    chart_values,
    query,
    visible_text,
)

pytestmark = pytest.mark.slow

_PERSONAL = (
    ("user_usage_daily", "user_email"),
    ("user_usage_daily", "user_name"),
    ("agent_usage_daily", "agent_owner_email"),
    ("project_usage_daily", "project_owner_email"),
)


def _personal_values(database: Path) -> set[str]:
    values: set[str] = set()
    for table, column in _PERSONAL:
        rows = query(database, f"select distinct {column} as v from {MARTS}.{table}")
        values |= {row["v"] for row in rows if row["v"] is not None}
    return values


def _leaks(built: Built) -> list[str]:
    """Personal values found anywhere in the file: page text, tables, CSV links, chart data."""
    return sorted(v for v in _personal_values(built.workspace.database) if v in built.text)


def test_kept_personal_data_names_the_owners(byok_report: Built) -> None:
    assert byok_report.data["personal_data"] == "keep"
    owners = [v["owner_email"] for v in chart_values(byok_report.data, "top-agents")]
    assert all("@" in owner for owner in owners), owners
    assert ">Owner</th>" in byok_report.text
    assert "owners' e-mails appear in the tables" in visible_text(byok_report.text)


def test_hide_personal_data_leaves_every_name_and_email_out(
    byok: Workspace, tmp_path: Path
) -> None:
    built = build(byok, tmp_path / "report.html", "--hide-personal-data")
    assert _personal_values(byok.database), "the workspace was loaded with pii=keep"
    assert _leaks(built) == []
    assert ">Owner</th>" not in built.text
    assert "left out of this report (--hide-personal-data)" in visible_text(built.text)


@pytest.mark.parametrize(
    ("scenario", "mode", "caption"),
    [
        ("hashed", "hash", "hashed when loaded (pii=hash)"),
        ("dropped", "none", "none loaded (pii=drop"),
    ],
)
def test_hashed_or_dropped_personal_data_never_reaches_the_page(
    workspaces: t.Callable[[str], Workspace],
    tmp_path: Path,
    scenario: str,
    mode: str,
    caption: str,
) -> None:
    workspace = workspaces(scenario)
    values = _personal_values(workspace.database)
    if mode == "hash":
        assert values, "the workspace has users and owners"
        assert all(len(v) == 64 for v in values), "pii=hash stores SHA-256 digests"
    else:
        assert values == set(), "pii=drop stores no personal values"
    built = build(workspace, tmp_path / "report.html")
    assert built.data["personal_data"] == mode
    assert _leaks(built) == []
    assert "@example.com" not in built.text
    assert ">Owner</th>" not in built.text
    assert caption in visible_text(built.text)
    for chart in built.data["charts"]:
        for value in chart["spec"]["data"]["values"]:
            assert "owner_email" not in value, chart["id"]


def test_without_byok_the_cost_figures_say_why_they_are_empty(
    workspaces: t.Callable[[str], Workspace], tmp_path: Path
) -> None:
    built = build(workspaces("hashed"), tmp_path / "report.html")
    text = visible_text(built.text)
    assert built.data["headline"]["cost_usd"] is None
    assert "model-cost" not in {chart["id"] for chart in built.data["charts"]}
    assert 'id="empty-model-cost"' in built.text
    assert "cost columns only in workspaces with bring-your-own-key (BYOK) models" in text
    assert "Langdock reports model cost only with bring-your-own-key (BYOK)" in text
    # Four days are too few to compare the last week with the one before.
    assert "Period too short to compare" in text
