"""Workflow API objects to records: camelCase and snake_case alike, payloads, pii, extras."""

from __future__ import annotations

import re
import typing as t

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_langdock.workflow import fields
from tap_langdock.workflow.records import (
    MAX_PAYLOAD_CHARS,
    BadItem,
    Notes,
    RunRules,
    convert_run,
    convert_workflow,
)

KEEP = RunRules(pii="keep", payloads=False)

RUN = {
    "id": "run_1",
    "workflowId": "wf_1",
    "status": "COMPLETED",
    "runMode": "production",
    "version": 3,
    "createdAt": "2026-06-14T10:00:00Z",
    "startedAt": "2026-06-14T10:00:01.5Z",
    "completedAt": "2026-06-14T10:00:04+00:00",
    "costUsd": "0.25",
    "error": None,
    "executions": [{"nodeId": "n1", "input": {"text": "Hi"}, "output": "Hello", "logs": []}],
    "triggerType": "webhook",
}


def _snake(item: dict[str, t.Any]) -> dict[str, t.Any]:
    return {fields.snake(k): v for k, v in item.items()}


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("workflowId", "workflow_id"),
        ("workflow_id", "workflow_id"),
        ("costUSD", "cost_usd"),
        ("durationMs", "duration_ms"),
        ("hasPublishedVersion", "has_published_version"),
        ("id", "id"),
    ],
)
def test_snake_case_names(name: str, snake: str) -> None:
    assert fields.snake(name) == snake


def test_a_run_in_camel_case_and_in_snake_case_is_one_record() -> None:
    camel = convert_run(RUN, workflow_id="wf_1", rules=KEEP, notes=Notes())
    snake = convert_run(_snake(RUN), workflow_id="wf_1", rules=KEEP, notes=Notes())
    assert camel == snake
    record = camel.record
    assert record["created_at"] == "2026-06-14T10:00:00.000000+00:00"
    assert record["duration_ms"] == 2500.0  # computed: Langdock sent no duration
    assert record["cost_usd"] == 0.25
    assert record["version"] == "3"
    assert record["is_final"] is True
    assert record["executions"] == [{"node_id": "n1"}]
    assert record["_extra_fields"] == {"trigger_type": "webhook"}


@given(
    st.dictionaries(
        st.from_regex(r"[a-z]+([A-Z][a-z]+){0,3}", fullmatch=True),
        st.one_of(st.none(), st.integers(), st.text(max_size=5)),
        max_size=6,
    )
)
def test_any_camel_case_object_reads_like_its_snake_case_twin(extra: dict[str, t.Any]) -> None:
    item = {**extra, **RUN}
    camel = convert_run(item, workflow_id="wf_1", rules=KEEP, notes=Notes())
    snake = convert_run(_snake(item), workflow_id="wf_1", rules=KEEP, notes=Notes())
    assert camel.record == snake.record


@pytest.mark.parametrize("status", ["PENDING", "IN_PROGRESS", "awaiting_input", None])
def test_runs_not_final(status: str | None) -> None:
    run = convert_run({**RUN, "status": status}, workflow_id="wf_1", rules=KEEP, notes=Notes())
    assert run.final is False


def test_payloads_follow_pii_when_kept() -> None:
    kept = convert_run(RUN, workflow_id="w", rules=RunRules("keep", True), notes=Notes())
    assert kept.record["executions"][0]["input"] == {"text": "Hi"}
    hashed = convert_run(RUN, workflow_id="w", rules=RunRules("hash", True), notes=Notes())
    node = hashed.record["executions"][0]
    assert re.fullmatch(r"[0-9a-f]{64}", node["output"])
    assert re.fullmatch(r"[0-9a-f]{64}", node["input"]["text"])
    dropped = convert_run(RUN, workflow_id="w", rules=RunRules("drop", True), notes=Notes())
    assert dropped.record["executions"][0]["input"] is None


def test_a_huge_payload_is_kept_as_a_marker() -> None:
    huge = {**RUN, "executions": [{"output": "x" * (MAX_PAYLOAD_CHARS + 1)}]}
    notes = Notes()
    run = convert_run(huge, workflow_id="w", rules=RunRules("keep", True), notes=notes)
    assert run.record["executions"][0]["output"] == {
        "_truncated": True,
        "_chars": MAX_PAYLOAD_CHARS + 3,
    }
    assert notes.truncated == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": None}, "a run has no id"),
        ({"createdAt": "yesterday"}, "run run_1 has createdAt 'yesterday', not an ISO"),
    ],
)
def test_runs_that_cannot_be_stored(change: dict[str, t.Any], message: str) -> None:
    with pytest.raises(BadItem, match=re.escape(message)):
        convert_run({**RUN, **change}, workflow_id="w", rules=KEEP, notes=Notes())


def test_epoch_milliseconds_are_instants() -> None:
    run = convert_run(
        {**RUN, "createdAt": 1781431200000}, workflow_id="w", rules=KEEP, notes=Notes()
    )
    assert run.record["created_at"] == "2026-06-14T10:00:00.000000+00:00"


def test_a_workflow_with_its_owner_nested_or_flat() -> None:
    nested = {"id": "wf", "name": "N", "owner": {"id": "u", "name": "Ann", "email": "a@x"}}
    flat = {"id": "wf", "name": "N", "ownerId": "u", "ownerName": "Ann", "owner_email": "a@x"}
    one = convert_workflow(nested, pii="keep", workspace_id=None, notes=Notes())
    two = convert_workflow(flat, pii="keep", workspace_id=None, notes=Notes())
    assert (one["owner_id"], one["owner_name"], one["owner_email"]) == ("u", "Ann", "a@x")
    assert one == two
    hashed = convert_workflow(nested, pii="hash", workspace_id=None, notes=Notes())
    assert hashed["owner_id"] == "u"
    assert re.fullmatch(r"[0-9a-f]{64}", hashed["owner_name"])


def test_records_carry_the_workspace_id_setting_and_null_without_it() -> None:
    stamped = RunRules("keep", False, workspace_id="ws-acme")
    for rules, want in ((stamped, "ws-acme"), (KEEP, None)):
        run = convert_run(RUN, workflow_id="w", rules=rules, notes=Notes())
        assert run.record["workspace_id"] == want
        workflow = convert_workflow(
            {"id": "wf"}, pii="keep", workspace_id=rules.workspace_id, notes=Notes()
        )
        assert workflow["workspace_id"] == want


@pytest.mark.parametrize("name", ["workspaceId", "workspace_id"])
def test_a_workspace_id_langdock_sends_is_kept_apart_from_the_setting(name: str) -> None:
    """Neither overwrites the other: Langdock's value is an extra field, like any unknown one."""
    notes = Notes()
    rules = RunRules("keep", False, workspace_id="ws-setting")
    run = convert_run({**RUN, name: "ws-langdock"}, workflow_id="w", rules=rules, notes=notes)
    assert run.record["workspace_id"] == "ws-setting"
    assert run.record["_extra_fields"] == {"trigger_type": "webhook", "workspace_id": "ws-langdock"}
    workflow = convert_workflow(
        {"id": "wf", name: "ws-langdock"}, pii="keep", workspace_id=None, notes=notes
    )
    assert workflow["workspace_id"] is None  # unset: null, not Langdock's value
    assert workflow["_extra_fields"] == {"workspace_id": "ws-langdock"}
    assert "workspace_id" in notes.unknown  # so the stream warns about it once
