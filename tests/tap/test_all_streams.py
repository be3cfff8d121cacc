"""Every export type as a stream, in default, privacy and BYOK workspaces.

Each stream's records must equal the emulator's CSV rows typed by the stream's schema, with
unique non-null keys, nulls for absent columns and unknown columns kept in _extra_columns.
"""

from __future__ import annotations

import hashlib
import json
import typing as t

import pytest

from langdock_emulator import Emulator
from tap_langdock.csv_records import EXTRA_COLUMNS, Kind
from tap_langdock.streams import STREAMS
from tests.support.contract import DEFAULT_STREAMS, STREAM_NAMES, STREAMS_BY_NAME
from tests.support.tap_runner import run_tap, tap_config

BY_NAME = STREAMS_BY_NAME
MODES = {
    "default": {},
    "privacy": {"privacy": True},
    "byok": {"byok": True},
    "byok+privacy": {"byok": True, "privacy": True},
}
PII_COLUMNS = {
    "projects_usage": ["project_owner_email"],
    "users_usage": ["name", "email"],
    "agents_usage": ["assistant_owner_email"],
    "workflows_usage": ["workflow_owner_email"],
}


def test_stream_set_and_defaults() -> None:
    assert list(DEFAULT_STREAMS) == [
        "projects_usage",
        "users_usage",
        "agents_usage",
        "api_keys_usage",
        "models_usage",
    ]
    assert len(STREAMS) == 11
    assert "assistants_usage" not in BY_NAME  # agents alias: one stream only


def expected_value(kind: Kind, cell: str | None) -> t.Any:
    if cell is None or cell == "":
        return None
    if kind is Kind.INTEGER:
        return int(cell)
    if kind is Kind.NUMBER:
        return float(cell)
    if kind is Kind.BOOLEAN:
        return cell.lower() in {"true", "t", "1"}
    if kind is Kind.OBJECT:
        return json.loads(cell)
    return cell


def sync_and_compare(emu: Emulator, name: str, **config: t.Any) -> list[dict[str, t.Any]]:
    stream = BY_NAME[name]
    run = run_tap(tap_config(emu, end_date="2025-03-01", **config), streams=[name])
    assert run.error is None, run.error
    records = run.records.get(name, [])
    rows = emu.expected_rows(
        stream.export_type,
        "2025-03-01T00:00:00.000",
        "2025-03-01T23:59:59.999",
        "UTC",
        group_by=stream.group_by,
    )
    assert len(records) == len(rows) > 0
    kinds = {column.name: column.kind for column in stream.columns}
    for record, row in zip(records, rows, strict=True):
        for column, cell in row.items():
            if column in kinds:
                if config.get("pii", "keep") == "keep" or column not in PII_COLUMNS.get(name, []):
                    assert record[column] == expected_value(kinds[column], cell), column
            else:
                assert record[EXTRA_COLUMNS][column] == (cell or None)
        for column in kinds:
            if column not in row:
                assert record[column] is None
    keys = [tuple(record[k] for k in stream.primary_keys) for record in records]
    assert all(v is not None for key in keys for v in key)
    assert len(set(keys)) == len(keys)
    return records


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("name", STREAM_NAMES)
def test_stream_in_every_workspace_mode(emulator: Emulator, name: str, mode: str) -> None:
    for setting, value in MODES[mode].items():
        setattr(emulator.settings, setting, value)
    if name == "models_usage_by_deployment" and not emulator.settings.byok:
        # group_by=deployment exists only in BYOK workspaces: the stream is skipped, once,
        # with Langdock's reason and what to do; nothing is emitted and no state is written.
        run = run_tap(tap_config(emulator, end_date="2025-03-01"), streams=[name])
        assert run.error is None
        assert run.log.count("Langdock does not offer this export in this workspace") == 1
        assert "only available for BYOK workspaces" in run.log
        assert "deselect the stream, or enable BYOK" in run.log
        assert not run.records.get(name)
        assert not (run.state or {}).get("bookmarks", {}).get(name)
        return
    records = sync_and_compare(emulator, name)
    stream = BY_NAME[name]
    (request,) = emulator.export_requests
    assert request.export_type == stream.export_type
    assert request.group_by == stream.group_by
    if emulator.settings.privacy:
        for column in PII_COLUMNS.get(name.removesuffix("_by_model"), []):
            assert all(r[column] is None for r in records)
    if name.startswith(("models_usage", "api_keys_usage")) and emulator.settings.byok:
        assert any(r["total_cost_usd"] is not None for r in records)
        assert any(isinstance(r["sum_prompt_tokens"], int) for r in records)


def test_users_json_maps_and_types(emulator: Emulator) -> None:
    records = sync_and_compare(emulator, "users_usage")
    record = max(records, key=lambda r: r["messages_total"] or 0)
    assert isinstance(record["assistants_to_messages"], dict)
    assert isinstance(record["messages_total_rank"], int)
    assert isinstance(record["payg_utilization_pct_current"], float | type(None))
    assert len(record["joined_at"]) == 10


def test_unknown_column_is_kept_and_announced_once(emulator: Emulator) -> None:
    emulator.settings.extra_column = True
    run = run_tap(tap_config(emulator, end_date="2025-03-03"))
    assert run.error is None
    records = run.records["projects_usage"]
    assert all(set(r[EXTRA_COLUMNS]) == {"beta_metric"} for r in records)
    assert all(r["messages"] is not None for r in records)  # mapped by name, not position
    assert run.log.count("does not know: beta_metric") == 1


def test_missing_column_is_null_and_announced_once(emulator: Emulator) -> None:
    emulator.settings.privacy = True
    run = run_tap(tap_config(emulator, end_date="2025-03-03"))
    assert run.error is None
    assert all(r["project_owner_email"] is None for r in run.records["projects_usage"])
    assert run.log.count("missing from Langdock's file, loaded as null: project_owner_email") == 1


@pytest.mark.parametrize("pii", ["keep", "hash", "drop"])
def test_pii_setting_applies_to_every_person_column(emulator: Emulator, pii: str) -> None:
    emulator.settings.tricky_names = False
    names = ["projects_usage", "users_usage", "agents_usage", "workflows_usage"]
    run = run_tap(tap_config(emulator, end_date="2025-03-01", pii=pii), streams=names)
    assert run.error is None
    clean = run_tap(tap_config(emulator, end_date="2025-03-01"), streams=names)
    for name in names:
        columns = PII_COLUMNS[name]
        for got, raw in zip(run.records[name], clean.records[name], strict=True):
            for column in columns:
                value = raw[column]
                if pii == "keep" or value is None:
                    assert got[column] == value
                elif pii == "drop":
                    assert got[column] is None
                else:
                    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()
                    assert got[column] == digest
            ids = list(BY_NAME[name].primary_keys)
            assert [got[k] for k in ids] == [raw[k] for k in ids]  # keys untouched


def test_group_by_is_validated_locally() -> None:
    from tap_langdock.client import LangdockStream

    with pytest.raises(TypeError, match="does not accept group_by='source' for users"):

        class UsersBySource(BY_NAME["users_usage"]):  # type: ignore[misc,valid-type,name-defined]
            name = "users_by_source"
            group_by = "source"

    assert issubclass(BY_NAME["models_usage_by_source"], LangdockStream)
    assert BY_NAME["models_usage_by_source"].primary_keys == (
        "name",
        "provider",
        "bring_your_keys",
        "source",
        "period_start",
        "period_end",
        "org_id",
    )
    projects = BY_NAME["projects_usage"]
    assert projects.group_by is None
    # Rows of several workspaces share a table: every usage key ends with the workspace.
    usage = [stream for name, stream in BY_NAME.items() if name != "audit_logs"]
    assert all(stream.primary_keys[-1] == "org_id" for stream in usage)
