"""The workspaces file: good files load, each mistake gets its one line (entry, field, fix)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from langdock_dagster.workspaces import (
    NAME,
    WorkspaceEntry,
    WorkspacesFileError,
    load_workspaces,
    parse_workspaces,
    workspaces_file,
)

GOOD = """\
# two workspaces
workspaces:
  - name: acme
    api_key_env: LANGDOCK_KEY_ACME
  - name: beta-2
    api_key_env: LANGDOCK_KEY_BETA
    api_url: https://beta.example/api/public/
    workspace_id: "0b1c-77"
"""


def test_a_good_file_loads_in_order(tmp_path: Path) -> None:
    path = tmp_path / "workspaces.yml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_workspaces(path) == [
        WorkspaceEntry("acme", "LANGDOCK_KEY_ACME"),
        WorkspaceEntry("beta-2", "LANGDOCK_KEY_BETA", "https://beta.example/api/public", "0b1c-77"),
    ]


def test_the_file_is_found_by_variable_or_at_the_project_root(tmp_path: Path) -> None:
    assert workspaces_file(tmp_path, {}) == tmp_path / "workspaces.yml"
    assert workspaces_file(tmp_path, {"LANGDOCK_WORKSPACES_FILE": "/x/w.yml"}) == Path("/x/w.yml")


def test_the_shipped_example_is_a_valid_file() -> None:
    example = Path(__file__).resolve().parents[2] / "workspaces.example.yml"
    entries = load_workspaces(example)
    assert len(entries) >= 2
    assert all(entry.api_key_env.isupper() for entry in entries)


ENTRY = "{name: acme, api_key_env: KEY_ACME}"
MISTAKES = [
    ("workspaces: [", "line 1: ", "fix the YAML syntax"),
    ("- name: acme", "top-level 'workspaces:' list", ""),
    ("workspaces: []", "'workspaces:' is empty", "add at least one"),
    (f"workspaces: [{ENTRY}]\nextra: 1", "unknown top-level key 'extra'", "remove it"),
    ("workspaces: [acme]", "workspace #1: expected a mapping", "name and api_key_env"),
    (
        "workspaces: [{name: Acme, api_key_env: K}]",
        "workspace #1 (Acme): field 'name' is 'Acme'",
        "lower-case letters",
    ),
    ("workspaces: [{api_key_env: K}]", "workspace #1: field 'name' is None", "partition key"),
    ("workspaces: [{name: acme}]", "workspace #1 (acme): field 'api_key_env' is None", "e.g."),
    (
        "workspaces: [{name: acme, api_key_env: K, api_key: ld-SECRET-123456}]",
        "workspace #1 (acme): unknown field 'api_key'",
        "never put a key in the file",
    ),
    (
        "workspaces: [{name: acme, api_key_env: ld-abc-SECRET-123456}]",
        "field 'api_key_env' is not a variable name (is it the key itself?)",
        "holds this workspace's API key",
    ),
    (
        "workspaces: [{name: acme, api_key_env: K, api_url: api.langdock.com}]",
        "field 'api_url' is 'api.langdock.com'",
        "https://api.langdock.com",
    ),
    (
        "workspaces: [{name: acme, api_key_env: K, workspace_id: 12}]",
        "field 'workspace_id' is 12",
        "quoted",
    ),
    (
        f"workspaces: [{ENTRY}, {{name: acme, api_key_env: KEY_B}}]",
        "workspace #2 (acme): name 'acme' is used twice",
        "its own name",
    ),
    (
        f"workspaces: [{ENTRY}, {{name: beta, api_key_env: KEY_ACME}}]",
        "workspace #2 (beta): api_key_env 'KEY_ACME' is also workspace 'acme''s",
        "one key reads one workspace",
    ),
]


@pytest.mark.parametrize(("text", "what", "fix"), MISTAKES)
def test_each_mistake_gets_one_line_naming_entry_field_and_fix(
    tmp_path: Path, text: str, what: str, fix: str
) -> None:
    path = tmp_path / "workspaces.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(WorkspacesFileError) as caught:
        load_workspaces(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert what in message
    assert fix in message
    assert "SECRET" not in message


def test_a_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(WorkspacesFileError, match=r"copy workspaces\.example\.yml"):
        load_workspaces(tmp_path / "workspaces.yml")


@given(st.text(alphabet=string.ascii_letters + string.digits + "-_. |/", max_size=70))
def test_names_are_exactly_the_plain_partition_keys(name: str) -> None:
    document = {"workspaces": [{"name": name, "api_key_env": "KEY"}]}
    plain = re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,62}", name) is not None
    if not plain:
        with pytest.raises(WorkspacesFileError, match="field 'name'"):
            parse_workspaces(document, "w.yml")
        return
    assert parse_workspaces(document, "w.yml")[0].name == name
    assert NAME.fullmatch(name)
