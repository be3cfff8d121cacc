"""The compiled fast path types every cell exactly as the careful path does, or defers to it."""

from __future__ import annotations

import typing as t

from hypothesis import given, settings
from hypothesis import strategies as st

from tap_langdock.columns import Column, Kind
from tap_langdock.csv_records import convert_carefully
from tap_langdock.errors import FileRejected
from tap_langdock.header import plan_header
from tap_langdock.row_compiler import compile_row

KINDS = list(Kind)
PII_MODES = ("keep", "hash", "drop")

# Cells near each kind's edges: what Langdock sends, and what a broken file might.
EDGE_CELLS = st.sampled_from(
    [
        "",
        " ",
        "0",
        "1",
        "-1",
        "1.0",
        "1.5",
        "1e3",
        "1e400",
        "-0",
        "007",
        "nan",
        "NaN",
        "inf",
        "-Infinity",
        "true",
        "TRUE",
        "True",
        "tRuE",
        "t",
        "yes",
        "Y",
        "no",
        "false",
        "F",
        "n",
        "2026-03-01",
        "2026-02-30",
        "2026-03-01T10:00:00Z",
        "2026-03-01 10:00",
        "2026-03-01x",
        "20260301",
        "{}",
        '{"a": 1}',
        '{"a": NaN}',
        "[1]",
        "null",
        '"text"',
        "ünïcödé",
        "a,b",
    ]
)
CELLS = st.one_of(EDGE_CELLS, st.text(max_size=12), st.integers().map(str), st.floats().map(str))


@st.composite
def headers_and_rows(draw: st.DrawFn) -> tuple[list[Column], list[str], list[list[str]], str]:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=7))
    pii = draw(st.lists(st.booleans(), min_size=len(kinds), max_size=len(kinds)))
    columns = [Column("key", Kind.STRING)] + [
        Column(f"c{i}", kind, pii=flag)
        for i, (kind, flag) in enumerate(zip(kinds, pii, strict=True))
    ]
    names = [column.name for column in columns]
    # Some declared columns absent from the file, some unknown ones present.
    present = [n for n in names if n == "key" or draw(st.booleans())]
    extra = draw(st.lists(st.sampled_from(["x1", "x2"]), unique=True, max_size=2))
    header = draw(st.permutations(present + extra))
    rows = draw(
        st.lists(
            st.lists(CELLS, min_size=len(header), max_size=len(header)), min_size=1, max_size=8
        )
    )
    mode = draw(st.sampled_from(PII_MODES))
    return columns, list(header), rows, mode


def _careful(row: list[str], plan: t.Any) -> tuple[t.Any, ...] | None:
    try:
        return convert_carefully(row, plan, 1)
    except FileRejected:
        return None


@settings(max_examples=400, deadline=None)
@given(headers_and_rows())
def test_fast_path_agrees_with_careful_path(
    case: tuple[list[Column], list[str], list[list[str]], str],
) -> None:
    columns, header, rows, mode = case
    plan = plan_header(header, columns, ("key",), mode)
    fast = compile_row(plan)
    for row in rows:
        if any("\x00" in cell for cell in row):
            continue  # files with a NUL byte never take the fast path
        expected = _careful(row, plan)
        try:
            got = fast(row)
        except (ValueError, TypeError, KeyError):
            continue  # deferred to the careful path, which decides
        assert expected is not None, f"fast path accepted a row the careful path rejects: {row}"
        assert _same(got, expected), (row, got, expected)


def _same(a: tuple[t.Any, ...], b: tuple[t.Any, ...]) -> bool:
    """Equal values of equal types (True == 1 and 1 == 1.0 would hide a wrong type)."""
    return len(a) == len(b) and all(
        type(x) is type(y) and x == y for x, y in zip(a, b, strict=True)
    )
