"""What the real warehouses reject, as a scan of dbt's compiled SQL (docs/warehouse-dialects.md).

The emulators accept a more liberal dialect than Snowflake and BigQuery (fakesnow runs
``ts at time zone 'UTC'``, bqemulator ``cast(x as double precision)``), so a green emulator
lane proves nothing about dialect. These rules come from the vendors' reference pages (the
document lists them); each names the adapters whose warehouse rejects the construct.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t
from pathlib import Path

ALL = ("duckdb", "postgres", "snowflake", "bigquery")
CLOUD = ("snowflake", "bigquery")


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    adapters: tuple[str, ...]
    find: t.Callable[[str, str], list[int]]  # (masked sql, sql without comments) -> offsets


@dataclasses.dataclass(frozen=True)
class Finding:
    adapter: str
    file: str
    line: int
    rule: str
    text: str

    def __str__(self) -> str:
        return f"{self.adapter}: {self.file}:{self.line}: {self.rule}: {self.text.strip()}"


def _regex(pattern: str, *, raw: bool = False) -> t.Callable[[str, str], list[int]]:
    compiled = re.compile(pattern, re.IGNORECASE)

    def find(masked: str, plain: str) -> list[int]:
        return [m.start() for m in compiled.finditer(plain if raw else masked)]

    return find


def _at_time_zone_outside_extract(masked: str, plain: str) -> list[int]:
    """BigQuery knows AT TIME ZONE only inside EXTRACT(part FROM ts AT TIME ZONE tz)."""
    found = []
    for match in re.finditer(r"\bat\s+time\s+zone\b", masked, re.IGNORECASE):
        depth, i = 0, match.start()
        inside_extract = False
        while i > 0:
            i -= 1
            if masked[i] == ")":
                depth += 1
            elif masked[i] == "(":
                if depth == 0:
                    inside_extract = bool(re.search(r"\bextract\s*$", masked[:i], re.IGNORECASE))
                    break
                depth -= 1
        if not inside_extract:
            found.append(match.start())
    return found


RULES: tuple[Rule, ...] = (
    # Snowflake converts with CONVERT_TIMEZONE; BigQuery with DATE(ts, tz) / DATETIME(ts, tz).
    Rule(
        "AT TIME ZONE (Snowflake: CONVERT_TIMEZONE)",
        ("snowflake",),
        _regex(r"\bat\s+time\s+zone\b"),
    ),
    Rule(
        "AT TIME ZONE outside EXTRACT (BigQuery: DATE(ts, tz))",
        ("bigquery",),
        _at_time_zone_outside_extract,
    ),
    Rule("jsonb (PostgreSQL only)", ("duckdb", *CLOUD), _regex(r"\bjsonb\b")),
    Rule("timestamptz (BigQuery: TIMESTAMP)", ("bigquery",), _regex(r"\btimestamptz\b")),
    Rule(
        "TIMESTAMP WITH TIME ZONE (BigQuery: TIMESTAMP)",
        ("bigquery",),
        _regex(r"\btimestamp\s+with(out)?\s+time\s+zone\b"),
    ),
    Rule(":: cast (BigQuery: CAST(x AS t))", ("bigquery",), _regex(r"::")),
    Rule("DOUBLE PRECISION (BigQuery: FLOAT64)", ("bigquery",), _regex(r"\bdouble\s+precision\b")),
    Rule(
        "cast to TEXT/VARCHAR (BigQuery: STRING)",
        ("bigquery",),
        _regex(r"\bas\s+(text|varchar|character\s+varying)\b"),
    ),
    Rule(
        "date_trunc('part', x) (BigQuery: DATE_TRUNC(x, PART))",
        ("bigquery",),
        _regex(r"\bdate_trunc\s*\(\s*'", raw=True),
    ),
    Rule(
        "a VALUES list as a table (BigQuery: UNION ALL of SELECTs or UNNEST)",
        ("bigquery",),
        _regex(r"\(\s*values\b"),
    ),
    Rule(
        "UNION without ALL/DISTINCT (BigQuery requires one)",
        ("bigquery",),
        _regex(r"\bunion\b(?!\s+(all|distinct)\b)"),
    ),
    Rule(
        "JSON arrow operators -> / ->> (Snowflake: col:key, BigQuery: JSON_VALUE)",
        CLOUD,
        _regex(r"->>?"),
    ),
    Rule(
        "aggregate FILTER (WHERE ...) (Snowflake/BigQuery: CASE inside the aggregate)",
        CLOUD,
        _regex(r"\bfilter\s*\(\s*where\b"),
    ),
)

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_STRINGS = re.compile(r"'(?:[^']|'')*'")


def _blank(match: re.Match[str]) -> str:
    """The same length, newlines kept, so offsets and line numbers stay right."""
    return re.sub(r"[^\n]", " ", match.group(0))


def scan_sql(adapter: str, name: str, sql: str) -> list[Finding]:
    """Findings of ``adapter``'s rules in one compiled file (comments and strings ignored)."""
    plain = _COMMENTS.sub(_blank, sql)
    masked = _STRINGS.sub(_blank, plain)
    lines = sql.splitlines()
    findings = []
    for rule in RULES:
        if adapter not in rule.adapters:
            continue
        for offset in rule.find(masked, plain):
            line = sql.count("\n", 0, offset) + 1
            findings.append(Finding(adapter, name, line, rule.name, lines[line - 1]))
    return findings


def scan_compiled(adapter: str, compiled: Path) -> tuple[list[Finding], int]:
    """Findings in every compiled .sql under ``compiled`` and how many files were scanned."""
    findings: list[Finding] = []
    files = sorted(compiled.rglob("*.sql"))
    for path in files:
        sql = path.read_text(encoding="utf-8")
        findings.extend(scan_sql(adapter, str(path.relative_to(compiled)), sql))
    return findings, len(files)
