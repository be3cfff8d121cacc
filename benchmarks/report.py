"""``python -m benchmarks.report [--users N] [--days N] [--quick]``: time `make report`'s build.

Builds a DuckDB file with the dbt marts of a large workspace straight in SQL (mart-shaped
tables, the columns the report reads; the load itself is benchmarked elsewhere), then times
the report CLI on it: once with an empty Vega bundle cache (a first run on a new machine) and
once warm (every later run). Prints seconds; the goal is seconds, not minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import duckdb

GOAL_SECONDS = 10.0
LAST_DAY = dt.date(2026, 6, 30)

# Activity is a pure function of (entity, day): every run builds the same file. A user's
# engagement (0-99) sets how often they are active; weekends are quieter.
_TABLES = """
create schema langdock_marts;

create table days as
select cast(:first as date) + cast(i as integer) as d
from range(:days) as r(i);

create table langdock_marts.user_usage_daily as
select
    d as usage_date, d as window_end, 'Europe/Berlin' as window_timezone, 'ws-1' as workspace_id,
    'user-' || u as user_id, 'User ' || u as user_name, 'user' || u || '@example.com' as user_email,
    'member' as user_role,
    (['Engineering', 'Sales', 'Marketing', 'Finance', 'Legal', 'HR', 'Support', ''])[1 + u % 8]
        as department,
    'business' as license_type,
    true as is_active,
    m as message_count,
    m - 2 * (m // 5) as chat_message_count,
    m // 5 as agent_message_count,
    m // 5 as project_message_count,
    0 as action_message_count,
    1 as agents_used, 1 as projects_used, 0.0 as payg_consumption,
    cast(null as bigint) as prompt_tokens, cast(null as bigint) as completion_tokens,
    cast(null as double) as total_cost_usd
from (
    select d, u, 1 + hash(u, d, 'm') % 40 as m,
        hash(u, d) % 100 as roll, hash(u) % 100 as engagement, dayofweek(d) in (0, 6) as weekend
    from days, range(:users) as users(u)
)
where roll < engagement * (case when weekend then 0.3 else 0.8 end);

create table langdock_marts.agent_usage_daily as
select
    d as usage_date, d as window_end, 'Europe/Berlin' as window_timezone, 'ws-1' as workspace_id,
    'agent-' || a as agent_id, 'Agent ' || a as agent_name, 'owner-' || a as agent_owner_id,
    'owner' || a || '@example.com' as agent_owner_email,
    1 + hash(a, d) % 400 as message_count, 1 + hash(a, d) % 90 as conversation_count,
    1 + hash(a, d) % 60 as unique_users, 1 + hash(a, d) % 50 as active_users,
    2.5 as messages_per_user, cast(null as bigint) as prompt_tokens,
    cast(null as bigint) as completion_tokens
from days, range(:agents) as agents(a)
where hash(a, d, 'on') % 10 < 6;

create table langdock_marts.project_usage_daily as
select
    d as usage_date, d as window_end, 'Europe/Berlin' as window_timezone, 'ws-1' as workspace_id,
    'project-' || p as project_id, 'Project ' || p as project_name,
    'owner-' || p as project_owner_id, 'owner' || p || '@example.com' as project_owner_email,
    1 + hash(p, d) % 300 as message_count
from days, range(:projects) as projects(p)
where hash(p, d, 'on') % 10 < 5;

create table langdock_marts.model_usage_daily as
select
    d as usage_date, d as window_end, 'Europe/Berlin' as window_timezone, 'ws-1' as workspace_id,
    'model-' || k as model_name, (['openai', 'anthropic', 'mistral', 'google'])[1 + k % 4]
        as model_provider,
    b = 1 as is_bring_your_own_key,
    hash(k, b, d) % 20000 as request_count,
    cast(null as bigint) as prompt_tokens, cast(null as bigint) as completion_tokens,
    cast(null as bigint) as cached_prompt_tokens, cast(null as bigint) as cache_creation_tokens,
    cast(null as bigint) as uncached_tokens,
    (hash(k, b, d) % 20000) * 0.002 as total_cost_usd,
    0.002 as cost_per_request_usd
from days, range(20) as models(k), range(2) as byok(b);

create table langdock_marts.api_key_usage_daily as
select
    d as usage_date, d as window_end, 'Europe/Berlin' as window_timezone, 'ws-1' as workspace_id,
    'key-' || k as api_key_id, 'Key ' || k as api_key_name,
    hash(k, d) % 5000 as request_count, (hash(k, d) % 5000) * 0.01 as total_cost_usd,
    cast(null as bigint) as prompt_tokens, cast(null as bigint) as completion_tokens,
    cast(null as bigint) as cached_prompt_tokens, cast(null as bigint) as cache_creation_tokens,
    cast(null as bigint) as uncached_tokens, 0.01 as cost_per_request_usd
from days, range(50) as keys(k);

create table langdock_marts.workspace_usage_daily as
select
    u.usage_date, u.usage_date as window_end, 'Europe/Berlin' as window_timezone,
    'ws-1' as workspace_id,
    count(*) as users_reported, count(*) as active_users, sum(message_count) as user_message_count,
    sum(chat_message_count) as chat_message_count,
    sum(agent_message_count) as agent_message_count,
    sum(project_message_count) as project_message_count,
    m.model_request_count, m.model_cost_usd
from langdock_marts.user_usage_daily as u
left join (
    select usage_date, sum(request_count) as model_request_count,
        sum(total_cost_usd) as model_cost_usd
    from langdock_marts.model_usage_daily group by usage_date
) as m on m.usage_date = u.usage_date
group by u.usage_date, m.model_request_count, m.model_cost_usd;

drop table days;
"""


def make_marts(path: pathlib.Path, users: int, days: int) -> int:
    """The marts of ``users`` users over ``days`` days; returns the user rows."""
    first = LAST_DAY - dt.timedelta(days=days - 1)
    params = {
        "first": first.isoformat(),
        "days": days,
        "users": users,
        "agents": max(10, users // 40),
        "projects": max(10, users // 20),
    }
    sql = _TABLES
    for name, value in params.items():
        sql = sql.replace(f":{name}", repr(value) if isinstance(value, str) else str(value))
    with duckdb.connect(str(path)) as connection:
        connection.execute(sql)
        ((rows,),) = connection.execute(
            "select count(*) from langdock_marts.user_usage_daily"
        ).fetchall()
    return int(rows)


def time_cli(database: pathlib.Path, out: pathlib.Path, cache: pathlib.Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "langdock_report", "--duckdb", str(database), "--out", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--quick", action="store_true", help="300 users, 60 days (a smoke run)")
    args = parser.parse_args(argv)
    users, days = (300, 60) if args.quick else (args.users, args.days)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as scratch:
        work = pathlib.Path(scratch)
        database, out = work / "marts.duckdb", work / "report.html"
        started = time.perf_counter()
        rows = make_marts(database, users, days)
        made = time.perf_counter() - started
        print(
            f"report benchmark: {users:,} users, {days} days, {rows:,} user rows "
            f"(marts made in {made:.1f} s)"
        )
        cold = time_cli(database, out, work / "cache")
        warm = time_cli(database, out, work / "cache")
        size = out.stat().st_size / 1_000_000
        verdict = "meets" if warm <= GOAL_SECONDS else "MISSES"
        print(f"  make report, first run (Vega bundle built): {cold:.2f} s")
        print(
            f"  make report, later runs: {warm:.2f} s ({verdict} the goal of "
            f"{GOAL_SECONDS:.0f} s); file {size:.1f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
