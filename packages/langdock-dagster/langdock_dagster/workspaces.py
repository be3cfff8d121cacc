"""The workspaces file: which Langdock workspaces the code location loads, one entry each.

```yaml
workspaces:
  - name: acme                      # the partition key
    api_key_env: LANGDOCK_KEY_ACME  # the variable holding the key; no key in this file
    api_url: https://acme.example/api/public   # optional
    workspace_id: 0b1c...           # optional, for the audit_logs stream
```

Every mistake is found before anything runs and reported as one line naming the file, the
entry and the field, and saying what to write instead (`WorkspacesFileError`).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

FILE_ENV = "LANGDOCK_WORKSPACES_FILE"
DEFAULT_FILE = "workspaces.yml"
# Dagster partition keys, Meltano state id suffixes and file names: keep them plain.
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FIELDS = ("name", "api_key_env", "api_url", "workspace_id")
# Fields someone may write by mistake, and what to write instead.
_INSTEAD = {
    "api_key": "never put a key in the file: set api_key_env to the name of the environment "
    "variable that holds it",
    "key": "set api_key_env to the name of the environment variable that holds the key",
    "url": "the field is api_url",
    "org_id": "the field is workspace_id",
}


class WorkspacesFileError(ValueError):
    """One line: the file, the entry, the field, the fix."""


@dataclasses.dataclass(frozen=True)
class WorkspaceEntry:
    name: str
    api_key_env: str
    api_url: str | None = None
    workspace_id: str | None = None


def workspaces_file(root: Path, environ: Mapping[str, str] | None = None) -> Path:
    """``$LANGDOCK_WORKSPACES_FILE`` (relative to ``root``), else ``root/workspaces.yml``."""
    value = (os.environ if environ is None else environ).get(FILE_ENV)
    return root / (value or DEFAULT_FILE)


def load_workspaces(path: Path) -> list[WorkspaceEntry]:
    """The file's entries, in file order; raises WorkspacesFileError on the first mistake."""
    if not path.is_file():
        raise WorkspacesFileError(
            f"{path}: no workspaces file: copy workspaces.example.yml to {path.name} and name "
            f"your workspaces there, or point {FILE_ENV} at yours"
        )
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not YAML"
        raise WorkspacesFileError(f"{path}:{where}: {problem}: fix the YAML syntax") from None
    return parse_workspaces(document, str(path))


def parse_workspaces(document: Any, where: str) -> list[WorkspaceEntry]:
    if not isinstance(document, dict) or not isinstance(document.get("workspaces"), list):
        raise WorkspacesFileError(
            f"{where}: expected a top-level 'workspaces:' list with one entry per workspace"
        )
    if set(document) != {"workspaces"}:
        other = sorted(str(key) for key in document if key != "workspaces")
        raise WorkspacesFileError(f"{where}: unknown top-level key {other[0]!r}: remove it")
    entries = [
        _entry(raw, f"{where}: workspace #{n}") for n, raw in enumerate(document["workspaces"], 1)
    ]
    if not entries:
        raise WorkspacesFileError(f"{where}: 'workspaces:' is empty: add at least one workspace")
    _check_unique(entries, where)
    return entries


def _entry(raw: Any, where: str) -> WorkspaceEntry:
    if not isinstance(raw, dict):
        raise WorkspacesFileError(f"{where}: expected a mapping with name and api_key_env")
    name = raw.get("name")
    if isinstance(name, str):
        where = f"{where} ({name})"
    for field in raw:
        if field not in FIELDS:
            fix = _INSTEAD.get(str(field), f"the fields are {', '.join(FIELDS)}")
            raise WorkspacesFileError(f"{where}: unknown field {field!r}: {fix}")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise WorkspacesFileError(
            f"{where}: field 'name' is {name!r}: use 1-63 lower-case letters, digits, '-' "
            "and '_', starting with a letter or digit (it is the Dagster partition key)"
        )
    key_env = raw.get("api_key_env")
    if not isinstance(key_env, str) or not ENV_NAME.fullmatch(key_env):
        raise WorkspacesFileError(
            f"{where}: field 'api_key_env' is {_shown(key_env)}: write the name of the "
            "environment variable that holds this workspace's API key, e.g. LANGDOCK_KEY_ACME"
        )
    return WorkspaceEntry(name, key_env, _url(raw.get("api_url"), where), _id(raw, where))


def _shown(value: Any) -> str:
    # A value that looks like a key is not echoed: this line ends up in logs.
    if isinstance(value, str) and len(value) > 12 and not ENV_NAME.fullmatch(value):
        return "not a variable name (is it the key itself?)"
    return repr(value)


def _url(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise WorkspacesFileError(
            f"{where}: field 'api_url' is {value!r}: write the API's base URL, e.g. "
            "https://api.langdock.com or https://<host>/api/public, or leave it out"
        )
    return value.rstrip("/")


def _id(raw: dict[str, Any], where: str) -> str | None:
    value = raw.get("workspace_id")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise WorkspacesFileError(
            f"{where}: field 'workspace_id' is {value!r}: write the workspace's id (quoted) "
            "or leave it out"
        )
    return value.strip()


def _check_unique(entries: Sequence[WorkspaceEntry], where: str) -> None:
    names: set[str] = set()
    keys: dict[str, str] = {}
    for n, entry in enumerate(entries, 1):
        if entry.name in names:
            raise WorkspacesFileError(
                f"{where}: workspace #{n} ({entry.name}): name {entry.name!r} is used twice: "
                "give each workspace its own name"
            )
        if entry.api_key_env in keys:
            raise WorkspacesFileError(
                f"{where}: workspace #{n} ({entry.name}): api_key_env {entry.api_key_env!r} is "
                f"also workspace {keys[entry.api_key_env]!r}'s: one key reads one workspace, "
                "give each its own variable"
            )
        names.add(entry.name)
        keys[entry.api_key_env] = entry.name
