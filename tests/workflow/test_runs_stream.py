"""The workflow streams against the emulator: every run once, and runs read until final."""

from __future__ import annotations

import datetime as dt
import re
import typing as t

import pytest

from langdock_emulator import Emulator, Fault
from tap_langdock import run as run_module
from tap_langdock.errors import WorkflowApiError, WorkflowKeyRejected
from tap_langdock.rate_limit import RateLimiter
from tap_langdock.tap import TapLangdock
from tests.workflow.workflow_support import (
    WORKFLOW_KEY,
    Clock,
    by_id,
    duplicates,
    run,
    same_run,
    truth_runs,
    workflow_config,
)


def check_archive(loaded: dict[str, dict[str, t.Any]], truth: dict[str, dict[str, t.Any]]) -> None:
    assert sorted(loaded) == sorted(truth)
    different = [key for key in truth if not same_run(loaded[key], truth[key])]
    assert not different, (loaded[different[0]], truth[different[0]])


def open_runs(state: dict[str, t.Any] | None) -> set[str]:
    assert state is not None
    section = state["bookmarks"]["workflow_runs"].get("open_runs", {})
    return {run_id for runs in section.values() for run_id in runs}


def test_a_first_run_archives_every_workflow_and_run(emulator: Emulator, clock: Clock) -> None:
    emulator.workflows.settings.page_size = 7
    result = run(emulator)
    assert result.error is None, result.error
    records = result.records["workflow_runs"]
    assert not duplicates(records)
    check_archive(by_id(records), truth_runs(emulator, clock.now))
    workflows = by_id(result.records["workflows"])
    assert sorted(workflows) == sorted(emulator.workflows.workflow_ids())
    # No workspace_id setting: no workspace (the Workflow API names none), never a guess.
    assert all(r["workspace_id"] is None for r in [*records, *workflows.values()])
    still_going = {r["id"] for r in records if not r["is_final"]}
    assert still_going, "the clock is chosen so that some runs are still going"
    assert open_runs(result.state) == still_going
    assert re.search(
        r"workflow_runs: done: 5 workflow\(s\) \(0 skipped\), \d+ run\(s\)", result.log
    )
    # Every request of the runs names the workflow, the range and a zone.
    first = next(r.params for r in emulator.workflows.requests if r.endpoint == "runs")
    assert first["from"] == "2026-06-10T00:00:00.000Z"
    assert first["to"].endswith("Z")


def test_a_later_run_adds_new_runs_and_the_final_state_of_those_that_were_going(
    emulator: Emulator, clock: Clock
) -> None:
    first = run(emulator)
    assert first.error is None, first.error
    going = open_runs(first.state)
    loaded = by_id(first.records["workflow_runs"])
    before = clock.now
    clock.advance(hours=8)  # long enough for the waiting run to end; a new workflow appears
    second = run(emulator, first.state)
    assert second.error is None, second.error
    records = second.records["workflow_runs"]
    assert not duplicates(records)
    truth = truth_runs(emulator, clock.now)
    new = {key for key, served in truth.items() if served["createdAt"] >= _iso(before)}
    assert {r["id"] for r in records} == new | going
    assert all(r["is_final"] for r in records if r["id"] in going)
    loaded.update(by_id(records))
    check_archive(loaded, truth)
    assert len(second.records["workflows"]) == len(first.records["workflows"]) + 1
    # A third run at the same instant has nothing new to emit.
    third = run(emulator, second.state)
    assert third.error is None
    assert {r["id"] for r in third.records.get("workflow_runs", [])} == open_runs(second.state)


def test_records_carry_the_workspace_id_setting(emulator: Emulator, clock: Clock) -> None:
    config = workflow_config(emulator, workspace_id="ws-acme")
    result = run(emulator, workspace_id="ws-acme")
    assert result.error is None, result.error
    # The discovered catalog: in-process runs select streams, not properties, so their SCHEMA
    # messages list no property of these streams (not selected by default).
    catalog = {e["tap_stream_id"]: e for e in TapLangdock(config=config).catalog_dict["streams"]}
    for stream in ("workflows", "workflow_runs"):
        records = result.records[stream]
        assert records
        assert {r["workspace_id"] for r in records} == {"ws-acme"}, stream
        entry = catalog[stream]
        assert list(entry["key_properties"]) == ["id"]  # ids are Langdock-wide: the key stays
        assert entry["schema"]["properties"]["workspace_id"]["type"] == ["string", "null"]
        assert "workspace_id" not in entry["schema"].get("required", [])
    check_archive(by_id(result.records["workflow_runs"]), truth_runs(emulator, clock.now))


def _iso(instant: dt.datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


SERVERS = [
    pytest.param({}, id="newest-first"),
    pytest.param({"order": "oldest_first", "page_size": 3}, id="oldest-first-3-per-page"),
    pytest.param({"raw_control_characters": True, "page_size": 11}, id="raw-control-characters"),
]


@pytest.mark.parametrize("server", SERVERS)
def test_runs_days_apart_equal_the_api_whatever_the_server_does(
    emulator: Emulator, clock: Clock, server: dict[str, t.Any]
) -> None:
    for name, value in server.items():
        setattr(emulator.workflows.settings, name, value)
    loaded: dict[str, dict[str, t.Any]] = {}
    state: dict[str, t.Any] | None = None
    for hours in (0.0, 0.0, 0.25, 7.0, 30.0):
        clock.advance(hours=hours)
        result = run(emulator, state, streams=("workflow_runs",))
        assert result.error is None, result.error
        assert not duplicates(result.records.get("workflow_runs", []))
        loaded.update(by_id(result.records.get("workflow_runs", [])))
        state = result.state
    check_archive(loaded, truth_runs(emulator, clock.now))
    if server.get("raw_control_characters"):
        failed = next(r for r in loaded.values() if r["status"] == "FAILED")
        assert "\t" in failed["error"]
        assert "\x0b" in failed["error"]


def test_a_workflow_the_key_cannot_read_is_skipped_with_one_warning(
    emulator: Emulator, clock: Clock
) -> None:
    refused = emulator.workflows.workflow_ids()[1]
    emulator.workflows.settings.forbidden.add(refused)
    result = run(emulator, streams=("workflow_runs",))
    assert result.error is None, result.error
    warnings = [line for line in result.log.splitlines() if "HTTP 403" in line]
    assert len(warnings) == 1
    assert f"workflow_runs, workflow {refused}: Langdock refused" in warnings[0]
    assert "skipped, its state is unchanged" in warnings[0]
    loaded = by_id(result.records["workflow_runs"])
    truth = truth_runs(emulator, clock.now)
    assert sorted(loaded) == sorted(k for k, v in truth.items() if v["workflowId"] != refused)
    assert refused not in result.bookmark("workflow_runs")["workflows"]
    # Once the key may read it, the next run loads its whole history.
    emulator.workflows.settings.forbidden.clear()
    again = run(emulator, result.state, streams=("workflow_runs",))
    loaded.update(by_id(again.records["workflow_runs"]))
    check_archive(loaded, truth)


def test_a_rejected_key_stops_the_run_after_one_request(emulator: Emulator) -> None:
    emulator.workflows.settings.api_key = WORKFLOW_KEY
    result = run(emulator, workflow_api_key="ld-wrong-key-SECRET-000bad")
    assert isinstance(result.error, WorkflowKeyRejected)
    assert "check workflow_api_key" in str(result.error)
    assert len(emulator.workflows.requests) == 1
    assert not result.records


def test_the_workflow_key_is_used_when_set(emulator: Emulator, clock: Clock) -> None:
    emulator.workflows.settings.api_key = WORKFLOW_KEY
    result = run(emulator, workflow_api_key=WORKFLOW_KEY)
    assert result.error is None, result.error
    check_archive(by_id(result.records["workflow_runs"]), truth_runs(emulator, clock.now))


def test_retry_after_is_honoured(emulator: Emulator, fake_waits: t.Any, clock: Clock) -> None:
    emulator.workflows.add_fault(Fault("rate_limit", retry_after=7))
    emulator.workflows.add_fault(Fault("server_error", status=503))
    emulator.workflows.add_fault(Fault("reset"))
    result = run(emulator, streams=("workflow_runs",))
    assert result.error is None, result.error
    assert fake_waits.slept[0] == 7.0
    assert len(fake_waits.slept) == 3
    check_archive(by_id(result.records["workflow_runs"]), truth_runs(emulator, clock.now))


def test_every_request_takes_a_slot_from_the_shared_limiter(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, fake_waits: t.Any
) -> None:
    limiter = RateLimiter(3, clock=fake_waits.monotonic, sleep=fake_waits.sleep)
    monkeypatch.setattr(run_module, "shared_limiter", lambda _url, _per_minute: limiter)
    result = run(emulator, streams=("workflow_runs",), max_requests_per_minute=3)
    assert result.error is None, result.error
    assert len(emulator.workflows.requests) == 6  # the list, then five workflows
    assert limiter.waited == pytest.approx(60.0)


def test_a_malformed_page_is_one_line_and_keeps_the_state_before_the_workflow(
    emulator: Emulator, clock: Clock
) -> None:
    emulator.workflows.add_fault(Fault("not_json", count=1))  # the list: asked again
    clean = run(emulator, streams=("workflow_runs",))
    assert clean.error is None
    assert "Langdock answered HTTP 200 with a body that is not JSON; retrying" in clean.log
    ids = emulator.workflows.workflow_ids()
    failed = run(
        emulator,
        streams=("workflow_runs",),
        when_logged=[
            (
                rf"workflow_runs, workflow {ids[0]}: \d+ new",
                lambda: emulator.workflows.add_fault(Fault("not_json", count=4)),
            )
        ],
    )
    assert isinstance(failed.error, WorkflowApiError)
    assert str(failed.error).startswith(f"workflow_runs, workflow {ids[1]}: Langdock answered")
    assert "still after 4 requests" in str(failed.error)
    assert list(failed.bookmark("workflow_runs")["workflows"]) == [ids[0]]
    # The next run reads on from the second workflow and loses nothing.
    resumed = run(emulator, failed.state, streams=("workflow_runs",))
    loaded = by_id(failed.records["workflow_runs"])
    loaded.update(by_id(resumed.records["workflow_runs"]))
    check_archive(loaded, truth_runs(emulator, clock.now))


def test_an_interrupted_run_resumes_without_loss_days_later(
    emulator: Emulator, clock: Clock
) -> None:
    """A run cut after two workflows (retry budget spent), resumed a day later: the
    archive is the API's, and the runs that were going then are final now."""
    ids = emulator.workflows.workflow_ids()
    cut = run(
        emulator,
        streams=("workflow_runs",),
        max_retry_seconds=0,
        when_logged=[
            (
                rf"workflow_runs, workflow {ids[1]}: \d+ new",
                lambda: emulator.workflows.add_fault(Fault("server_error", count=3)),
            )
        ],
    )
    assert isinstance(cut.error, WorkflowApiError)
    assert "retry budget (max_retry_seconds=0) ran out" in str(cut.error)
    clock.advance(days=1)
    resumed = run(emulator, cut.state, streams=("workflow_runs",))
    assert resumed.error is None, resumed.error
    loaded = by_id(cut.records["workflow_runs"])
    loaded.update(by_id(resumed.records["workflow_runs"]))
    check_archive(loaded, truth_runs(emulator, clock.now))


def test_payloads_are_left_out_unless_asked_for_then_follow_pii(emulator: Emulator) -> None:
    plain = run(emulator, streams=("workflow_runs",))
    nodes = [n for r in plain.records["workflow_runs"] for n in r["executions"]]
    assert nodes
    assert not any({"input", "output", "logs"} & n.keys() for n in nodes)
    kept = run(emulator, streams=("workflow_runs",), workflow_run_payloads=True)
    node = kept.records["workflow_runs"][0]["executions"][0]
    assert node["input"]["text"].startswith("Kunde schreibt:\n\t")
    hashed = run(emulator, streams=("workflow_runs",), workflow_run_payloads=True, pii="hash")
    node = hashed.records["workflow_runs"][0]["executions"][0]
    assert re.fullmatch(r"[0-9a-f]{64}", node["input"]["text"])
    dropped = run(emulator, streams=("workflow_runs",), workflow_run_payloads=True, pii="drop")
    node = dropped.records["workflow_runs"][0]["executions"][0]
    assert node["input"] is None
    owners = run(emulator, streams=("workflows",), pii="hash").records["workflows"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", w["owner_email"]) for w in owners)


def test_a_deleted_workflow_keeps_its_state_and_the_others_load(
    emulator: Emulator, clock: Clock
) -> None:
    first = run(emulator, streams=("workflow_runs",))
    gone = emulator.workflows.workflow_ids()[0]
    emulator.workflows.settings.deleted.add(gone)
    clock.advance(hours=5)
    second = run(emulator, first.state, streams=("workflow_runs",))
    assert second.error is None, second.error
    assert "1 workflow(s) of the state are no longer listed" in second.log
    assert (
        second.bookmark("workflow_runs")["workflows"][gone]
        == (first.bookmark("workflow_runs")["workflows"][gone])
    )
