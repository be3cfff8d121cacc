"""CSV to typed records: by header name, RFC 4180, strict types, whole-file rejection."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_langdock.csv_records import EXTRA_COLUMNS, Column, Kind, prepare
from tap_langdock.errors import FileRejected

COLUMNS = (
    Column("period_start", Kind.DATE),
    Column("period_end", Kind.DATE),
    Column("project_id", Kind.STRING),
    Column("project_name", Kind.STRING),
    Column("owner_email", Kind.STRING, pii=True),
    Column("messages", Kind.INTEGER),
    Column("cost", Kind.NUMBER),
    Column("byok", Kind.BOOLEAN),
    Column("per_model", Kind.OBJECT),
)
KEYS = ("project_id", "period_start", "period_end")


def write(tmp_path: pathlib.Path, text: str | bytes, name: str = "f.csv") -> str:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return str(path)


def rows(path: str, pii: str = "keep") -> list[dict[str, object]]:
    prepared = prepare(path, COLUMNS, KEYS, pii)
    try:
        return list(prepared.records())
    finally:
        prepared.close()


def test_types_order_and_extras(tmp_path: pathlib.Path) -> None:
    text = (
        "\ufeffmessages,project_id,period_end,period_start,new_col,project_name,cost,byok,per_model\r\n"
        '5,p1,2024-01-02,2024-01-01,x,"Acme, ""Inc""\nSecond line",0.25,TRUE,"{""gpt"":3}"\r\n'
        "0,p2,2024-01-02T00:00:00Z,2024-01-01,,,,f,\r\n"
    )
    out = rows(write(tmp_path, text))
    assert out[0] == {
        "period_start": "2024-01-01",
        "period_end": "2024-01-02",
        "project_id": "p1",
        "project_name": 'Acme, "Inc"\nSecond line',
        "owner_email": None,
        "messages": 5,
        "cost": 0.25,
        "byok": True,
        "per_model": {"gpt": 3},
        EXTRA_COLUMNS: {"new_col": "x"},
    }
    assert out[1]["messages"] == 0
    assert out[1]["period_end"] == "2024-01-02"
    assert out[1]["project_name"] is None  # empty cell is null, never ""
    assert out[1]["cost"] is None
    assert out[1]["byok"] is False
    assert out[1][EXTRA_COLUMNS] == {"new_col": None}


def test_missing_documented_column_is_null_and_reported(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "period_start,period_end,project_id\n2024-01-01,2024-01-01,p\n")
    prepared = prepare(path, COLUMNS, KEYS, "keep")
    assert prepared.plan is not None
    assert "owner_email" in prepared.plan.missing
    assert next(prepared.records())["owner_email"] is None
    prepared.close()


@pytest.mark.parametrize(
    ("pii", "expected"),
    [
        ("keep", " Ada@Example.com"),
        ("hash", hashlib.sha256(b"ada@example.com").hexdigest()),
        ("drop", None),
    ],
)
def test_pii_modes(tmp_path: pathlib.Path, pii: str, expected: object) -> None:
    path = write(
        tmp_path,
        "period_start,period_end,project_id,owner_email\n"
        "2024-01-01,2024-01-01,p, Ada@Example.com\n",
    )
    record = rows(path, pii)[0]
    assert record["owner_email"] == expected
    assert record["project_id"] == "p"


BAD_FILES = [
    ("period_start,period_end\n2024-01-01,2024-01-01\n", "lacks key column(s) project_id"),
    (
        "period_start,period_end,project_id,messages\n2024-01-01,2024-01-01,p,abc\n",
        "data row 1, column messages: 'abc' is not a whole number",
    ),
    (
        "period_start,period_end,project_id,messages\n2024-01-01,2024-01-01,p,1.5\n",
        "is not a whole number",
    ),
    ("period_start,period_end,project_id,cost\n2024-01-01,2024-01-01,p,inf\n", "is not a number"),
    ("period_start,period_end,project_id,byok\n2024-01-01,2024-01-01,p,maybe\n", "true/false"),
    ("period_start,period_end,project_id\n2024-13-01,2024-01-01,p\n", "a YYYY-MM-DD date"),
    (
        "period_start,period_end,project_id,per_model\n2024-01-01,2024-01-01,p,[1]\n",
        "a JSON object",
    ),
    (
        "period_start,period_end,project_id\n2024-01-01,2024-01-01\n",
        "data row 1 has 2 cells but the header has 3",
    ),
    (
        "period_start,period_end,project_id\n2024-01-01,2024-01-01,\n",
        "key column project_id is empty",
    ),
    ("period_start,period_end,project_id,project_id\n", "repeats column(s) project_id"),
    ("period_start;period_end;project_id\n2024-01-01;2024-01-01;p\n", "lacks key column(s)"),
    ('period_start,period_end,project_id\n2024-01-01,2024-01-01,"p\n', "malformed"),
    (
        "period_start,period_end,project_id,project_name\n2024-01-01,2024-01-01,p,a\x00b\n",
        "text without NUL bytes",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD_FILES)
def test_bad_files_are_rejected_whole(tmp_path: pathlib.Path, text: str, expected: str) -> None:
    with pytest.raises(FileRejected, match=None) as caught:
        prepare(write(tmp_path, text), COLUMNS, KEYS, "keep")
    assert expected in str(caught.value)


def test_invalid_utf8_is_rejected(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, b"period_start,period_end,project_id\n2024-01-01,2024-01-01,\xff\n")
    with pytest.raises(FileRejected, match="not valid UTF-8"):
        prepare(path, COLUMNS, KEYS, "keep")


def test_empty_and_header_only_files_have_no_rows(tmp_path: pathlib.Path) -> None:
    assert rows(write(tmp_path, "")) == []
    assert rows(write(tmp_path, "period_start,period_end,project_id\r\n", "h.csv")) == []


names = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30
)


@settings(max_examples=150)
@given(values=st.lists(st.tuples(names, st.integers(0, 10**12)), min_size=1, max_size=20))
def test_any_name_round_trips(
    tmp_path_factory: pytest.TempPathFactory, values: list[tuple[str, int]]
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["period_start", "period_end", "project_id", "project_name", "messages"])
    for i, (name, count) in enumerate(values):
        writer.writerow(["2024-01-01", "2024-01-01", f"p{i}", name, count])
    path = write(tmp_path_factory.mktemp("rt"), buffer.getvalue())
    out = rows(path)
    assert [(r["project_name"], r["messages"]) for r in out] == [
        (name or None, count) for name, count in values
    ]
    json.dumps(out)  # records are JSON-ready


@pytest.mark.parametrize("cell", ['"{""a"": NaN}"', '"{""a"": Infinity}"', '"{""a"": 1"'])
def test_json_cells_must_be_strict_json(tmp_path: pathlib.Path, cell: str) -> None:
    path = write(
        tmp_path, f"period_start,period_end,project_id,per_model\n2024-01-01,2024-01-01,p,{cell}\n"
    )
    with pytest.raises(FileRejected, match="is not a JSON object"):
        prepare(path, COLUMNS, KEYS, "keep")
