"""The few places where the report's SQL differs between DuckDB, PostgreSQL, Snowflake and BigQuery.

The files in ``sql/`` are Jinja templates that call these macros, the way the dbt models call
their ``adapter.dispatch`` macros (transform/macros/langdock_portable.sql): BigQuery has no
DOUBLE PRECISION, no ``date_trunc('week', x)``, no date + integer and no date - date.
Everything else in ``sql/`` is SQL all four accept (no ``values`` lists, no ``::`` casts).
"""

from __future__ import annotations

import dataclasses
import functools

import jinja2


@dataclasses.dataclass(frozen=True)
class Dialect:
    float_type: str = "double precision"
    week_start: str = "cast(date_trunc('week', {0}) as date)"  # ISO week, Monday first
    add_days: str = "({0} + {1})"
    days_between: str = "({1} - {0})"  # whole days from {0} to {1}


DIALECTS = {
    "duckdb": Dialect(),
    "postgres": Dialect(),
    # Snowflake's date_trunc('week') starts on Monday with the default WEEK_START (0).
    "snowflake": Dialect(float_type="float"),
    "bigquery": Dialect(
        float_type="float64",
        # Monday of {0}'s week, by arithmetic: BigQuery's own date_trunc({0}, isoweek) is
        # refused by bqemulator 1.4.0, and its date_trunc({0}, week(monday)) answers with the
        # Sunday week start -- the emulator lane would test nothing or the wrong thing.
        week_start="date_sub({0}, interval mod(extract(dayofweek from {0}) + 5, 7) day)",
        add_days="date_add({0}, interval {1} day)",
        days_between="date_diff({1}, {0}, day)",
    ),
}


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - SQL for a database driver, not HTML
    )


def render(sql: str, dialect: str) -> str:
    """``sql`` with its macros written in ``dialect``."""
    spelling = DIALECTS[dialect]
    return (
        _environment()
        .from_string(sql)
        .render(
            float=spelling.float_type,
            week_start=spelling.week_start.format,
            add_days=spelling.add_days.format,
            days_between=spelling.days_between.format,
        )
    )
