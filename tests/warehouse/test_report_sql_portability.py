"""The report's SQL, written for each warehouse, uses only what that warehouse accepts.

The report reads the marts with the same files of ``langdock_report/sql/`` on DuckDB,
PostgreSQL, Snowflake and BigQuery; their few differences are macros (langdock_report/
dialects.py). This renders every file for every warehouse and scans it with the rules the
dbt project's compiled SQL is held to (dialects.py here, docs/warehouse-dialects.md). No
warehouse is needed; the emulator lanes run the same SQL for real.
"""

from __future__ import annotations

from importlib import resources

import pytest

from langdock_report.dialects import DIALECTS, render
from tests.warehouse.dialects import ALL, scan_sql

SQL_FILES = sorted(
    entry.name for entry in (resources.files("langdock_report") / "sql").iterdir()
    if entry.name.endswith(".sql")
)  # fmt: skip


def test_every_warehouse_has_a_dialect() -> None:
    assert set(DIALECTS) == set(ALL)


@pytest.mark.parametrize("adapter", ALL)
def test_the_report_sql_uses_only_what_the_warehouse_accepts(adapter: str) -> None:
    assert len(SQL_FILES) >= 10
    findings = []
    for name in SQL_FILES:
        text = (resources.files("langdock_report") / "sql" / name).read_text("utf-8")
        findings.extend(scan_sql(adapter, name, render(text, adapter)))
    assert not findings, "\n".join(str(f) for f in findings)


def test_the_check_fails_on_the_reports_former_postgresql_style_sql() -> None:
    """What the report used to send: a values list, date_trunc('week', ...), double precision."""
    former = """
    with ranges (range_name, first_day) as (values ('period', cast(:first_day as date)))
    select cast(date_trunc('week', usage_date) as date) as week_start,
        cast(count(*) as double precision) as n
    from ranges
    """
    rules = {finding.rule for finding in scan_sql("bigquery", "former.sql", former)}
    assert any("VALUES" in rule for rule in rules), rules
    assert any("date_trunc" in rule for rule in rules), rules
    assert any("DOUBLE PRECISION" in rule for rule in rules), rules
    assert scan_sql("duckdb", "former.sql", former) == []
