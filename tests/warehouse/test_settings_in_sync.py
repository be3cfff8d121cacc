"""meltano.yml and README.md document the tap's settings exactly as `tap-langdock --about` does.

The setting names are a contract: Meltano users configure them through meltano.yml, everyone
else reads the README. Both are compared with what the installed tap reports about itself.
"""

from __future__ import annotations

import json
import re
import subprocess
import typing as t

import pytest
import yaml

from tests.support.contract import CONTRACT_SETTINGS
from tests.support.meltano_project import BIN, REPO

SDK_SETTINGS = {"stream_maps", "stream_map_config", "faker_config", "batch_config"}
DATE_SETTINGS = {"start_date", "end_date"}
README_START, README_END = "<!-- settings:start -->", "<!-- settings:end -->"


def _about(fmt: str) -> str:
    result = subprocess.run(
        [str(BIN / "tap-langdock"), "--about", f"--format={fmt}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


@pytest.fixture(scope="module")
def about() -> dict[str, t.Any]:
    return t.cast("dict[str, t.Any]", json.loads(_about("json")))


def _own(about: dict[str, t.Any]) -> list[str]:
    """The tap's own settings, in --about order."""
    return [
        name
        for name in about["settings"]["properties"]
        if name not in SDK_SETTINGS and not name.startswith("flattening_")
    ]


@pytest.fixture(scope="module")
def extractor() -> dict[str, t.Any]:
    project = yaml.safe_load((REPO / "meltano.yml").read_text(encoding="utf-8"))
    (plugin,) = [p for p in project["plugins"]["extractors"] if p["name"] == "tap-langdock"]
    return t.cast("dict[str, t.Any]", plugin)


def _kind(name: str, spec: dict[str, t.Any]) -> str:
    types = spec.get("type", [])
    types = [types] if isinstance(types, str) else types
    if name in DATE_SETTINGS:
        return "date_iso8601"
    if "enum" in spec:
        return "options"
    if "integer" in types:
        return "integer"
    if "boolean" in types:
        return "boolean"
    return "string"


def test_the_tap_reports_the_contracted_settings(about: dict[str, t.Any]) -> None:
    assert _own(about)[: len(CONTRACT_SETTINGS)] == CONTRACT_SETTINGS


def test_meltano_yml_lists_exactly_the_tap_settings(
    about: dict[str, t.Any], extractor: dict[str, t.Any]
) -> None:
    declared = [setting["name"] for setting in extractor["settings"]]
    assert declared == _own(about)


def test_meltano_yml_settings_match_about(
    about: dict[str, t.Any], extractor: dict[str, t.Any]
) -> None:
    """Kind, label, description, default, sensitivity and options of every setting."""
    declared = {setting["name"]: setting for setting in extractor["settings"]}
    problems = []
    for name in _own(about):
        spec = about["settings"]["properties"][name]
        setting = declared.get(name)
        if setting is None:
            problems.append(f"{name}: missing from meltano.yml")
            continue
        expected = {
            "kind": _kind(name, spec),
            "label": spec.get("title"),
            "description": spec.get("description"),
            "value": spec.get("default"),
            "sensitive": bool(spec.get("secret")),
        }
        actual = {
            "kind": setting.get("kind", "string"),
            "label": setting.get("label"),
            "description": setting.get("description"),
            "value": setting.get("value"),
            "sensitive": bool(setting.get("sensitive")),
        }
        if "enum" in spec:
            expected["options"] = spec["enum"]
            actual["options"] = [option["value"] for option in setting.get("options", [])]
        problems += [
            f"{name}.{field}: meltano.yml has {actual[field]!r}, --about says {value!r}"
            for field, value in expected.items()
            if actual[field] != value
        ]
    assert not problems, "\n".join(problems)


def test_api_key_is_sensitive(extractor: dict[str, t.Any]) -> None:
    (api_key,) = [s for s in extractor["settings"] if s["name"] == "api_key"]
    assert api_key.get("sensitive") is True


def test_meltano_yml_required_settings_and_capabilities_match_about(
    about: dict[str, t.Any], extractor: dict[str, t.Any]
) -> None:
    assert extractor["settings_group_validation"] == [about["settings"]["required"]]
    assert sorted(extractor["capabilities"]) == sorted(about["capabilities"])


def _table_rows(markdown: str) -> list[list[str]]:
    rows = []
    for raw_line in markdown.splitlines():
        line = raw_line.strip()
        if not line.startswith("|") or re.fullmatch(r"\|[\s:|-]+\|", line):
            continue  # not a table row, or the alignment row
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _about_settings_table() -> list[list[str]]:
    markdown = _about("markdown")
    section = markdown.split("## Settings", 1)[1].split("\n## ", 1)[0]
    header, *rows = _table_rows(section)
    own = _own(json.loads(_about("json")))
    return [header, *[row for row in rows if row[0] in own]]


def test_readme_settings_table_matches_about() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    if README_START not in readme or README_END not in readme:
        pytest.fail(
            f"README.md must hold the settings table between {README_START} and {README_END} "
            "(the rows of `tap-langdock --about --format=markdown`'s Settings table for the "
            "tap's own settings); the markers are missing"
        )
    between = readme.split(README_START, 1)[1].split(README_END, 1)[0]
    expected = _about_settings_table()
    assert _table_rows(between) == expected, (
        "README.md's settings table differs from `tap-langdock --about --format=markdown`; "
        "expected:\n" + "\n".join("| " + " | ".join(row) + " |" for row in expected)
    )
