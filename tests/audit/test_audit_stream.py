"""The audit_logs stream against the emulator: every entry once, across runs and faults."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import typing as t

import pytest

from langdock_emulator import Emulator, Fault
from tap_langdock import run as run_module
from tap_langdock.rate_limit import RateLimiter
from tests.audit.audit_support import (
    AUDIT_KEY,
    AUDIT_NOW,
    Clock,
    audit_config,
    by_id,
    duplicates,
    instant,
    same_entry,
    truth,
)
from tests.support.tap_runner import TapRun, run_tap

SETTLED = "2026-06-15T11:55:00.000000+00:00"  # AUDIT_NOW less five minutes


def run(emu: Emulator, state: dict[str, t.Any] | None = None, **settings: t.Any) -> TapRun:
    """Only audit_logs, with ``settings`` on top of the audit config."""
    return run_tap(audit_config(emu, **settings), state, streams=("audit_logs",))


def bookmarks(result: TapRun) -> list[str]:
    """read_through of every STATE message, in order."""
    return [
        s["bookmarks"]["audit_logs"]["read_through"]
        for s in result.states
        if "audit_logs" in s.get("bookmarks", {})
    ]


def check_equal(loaded: dict[str, dict[str, t.Any]], expected: dict[str, dict[str, t.Any]]) -> None:
    assert sorted(loaded) == sorted(expected)
    different = [key for key in expected if not same_entry(loaded[key], expected[key])]
    assert not different, (loaded[different[0]], expected[different[0]])


def test_a_first_run_reads_start_date_to_the_settled_end_entry_for_entry(
    emulator: Emulator,
) -> None:
    result = run(emulator)
    assert result.error is None, result.error
    records = result.records["audit_logs"]
    assert not duplicates(records)
    check_equal(by_id(records), truth(emulator, SETTLED))
    assert bookmarks(result) == [
        "2026-06-13T00:00:00.000000+00:00",
        "2026-06-14T00:00:00.000000+00:00",
        "2026-06-15T00:00:00.000000+00:00",
        SETTLED,
    ]
    assert result.bookmark("audit_logs")["replication_key_value"] == SETTLED
    # Every request names its zone and a range one second wider than the range itself.
    first = emulator.audit.requests[0].params
    assert (first["from"], first["to"], first["limit"]) == (
        "2026-06-11T23:59:59.000Z",
        "2026-06-13T00:00:01.000Z",
        "50",
    )


def test_progress_lines_per_range(emulator: Emulator) -> None:
    result = run(emulator)
    lines = re.findall(
        r"audit_logs, range 2026-06-12T00:00:00Z\.\.2026-06-13T00:00:00Z: (\d+) entries "
        r"\((\d+) outside the range, (\d+) read twice\), (\d+) page\(s\), (\d+) request\(s\), "
        r"0 retries",
        result.log,
    )
    entries = len(truth(emulator, "2026-06-13T00:00:00Z"))
    ((count, _, repeated, pages, requests),) = lines
    assert (int(count), int(repeated)) == (entries, 0)
    assert int(pages) == int(requests) == -(-entries // 50)
    assert "audit_logs: done: 4 range(s)" in result.log


SERVERS = [
    pytest.param({}, id="newest-first-inclusive"),
    pytest.param({"order": "oldest_first", "bounds": "exclusive"}, id="oldest-first-exclusive"),
    pytest.param({"bounds": "half_open", "page_size": 7}, id="half-open-7-per-page"),
    pytest.param({"cursor": "offset", "page_size": 3}, id="offset-cursor-3-per-page"),
]


@pytest.mark.parametrize("server", SERVERS)
def test_a_backfill_over_several_runs_equals_the_log_whatever_the_server_does(
    emulator: Emulator, clock: Clock, server: dict[str, t.Any]
) -> None:
    for name, value in server.items():
        setattr(emulator.audit.settings, name, value)
    # Start the runs 6.5 minutes after an entry that shows up 9+ minutes late: the first
    # runs cannot see it although it lies before their bookmark; later ones must load it.
    day = (instant("2026-06-13T01:00:00Z"), instant("2026-06-13T23:00:00Z"))
    late = next(e for e in emulator.audit.data.between(*day) if e.lateness > 0.9)
    clock.now = late.created_at + dt.timedelta(minutes=6, seconds=30)
    loaded: dict[str, dict[str, t.Any]] = {}
    state: dict[str, t.Any] | None = None
    missed = False
    # A backfill cut by end_date, then runs no time, a minute, hours and a day apart.
    plan = [("2026-06-12", 0.0), (None, 0.0), (None, 1 / 60), (None, 7.0), (None, 30.0)]
    for end_date, hours in plan:
        clock.advance(hours=hours)
        settings = {"end_date": end_date} if end_date else {}
        result = run(emulator, state, **settings)
        assert result.error is None, result.error
        assert not duplicates(result.records.get("audit_logs", []))
        loaded.update(by_id(result.records.get("audit_logs", [])))
        state = result.state
        if late.id not in loaded and instant(bookmarks(result)[-1]) > late.created_at:
            missed = True
    through = bookmarks(result)[-1]
    assert instant(through) == clock.now.replace(second=0, microsecond=0) - dt.timedelta(minutes=5)
    check_equal(loaded, truth(emulator, through))
    assert missed, "no run was behind the late entry: the scenario tests nothing late"


def test_an_interrupted_backfill_resumes_at_the_range_it_was_in(emulator: Emulator) -> None:
    clean = run(emulator)
    per_range = [int(n) for n in re.findall(r"(\d+) page\(s\), \d+ request", clean.log)]
    emulator.reset()  # the audit log's clock stays the shared one
    # The second page of the third range fails until the retry budget is gone.
    emulator.audit.add_fault(
        Fault("server_error", status=503, count=10_000), after_requests=sum(per_range[:2]) + 1
    )
    failed = run(emulator, max_retry_seconds=30)
    assert failed.error is not None
    message = str(failed.error)
    assert message.startswith(
        "audit_logs, range 2026-06-14T00:00:00Z..2026-06-15T00:00:00Z: HTTP 503 from Langdock; "
        "gave up after "
    )
    assert "retry budget (max_retry_seconds=30) ran out" in message
    assert "The bookmark stays at the end of the last complete range" in message
    # Records of the third range's first page went out; the bookmark did not move past it.
    third = [r for r in failed.records["audit_logs"] if r["created_at"] >= "2026-06-14"]
    assert third
    assert bookmarks(failed)[-1] == "2026-06-14T00:00:00.000000+00:00"

    emulator.audit.clear_faults()
    already = len(emulator.audit.requests)
    resumed = run(emulator, failed.state)
    assert resumed.error is None, resumed.error
    assert emulator.audit.requests[already].params["from"] == "2026-06-13T23:44:59.000Z"
    loaded = by_id(failed.records["audit_logs"] + resumed.records["audit_logs"])
    check_equal(loaded, truth(emulator, SETTLED))


def test_random_faults_give_the_same_records_and_state_as_a_clean_run(
    emulator: Emulator,
) -> None:
    emulator.audit.settings.page_size = 10
    clean = run(emulator)
    emulator.audit.requests.clear()
    emulator.audit.set_random_faults(
        0.35, seed=5, kinds=["rate_limit", "server_error", "html_error", "reset", "not_json"]
    )
    faulty = run(emulator)
    assert faulty.error is None, faulty.error
    assert len(emulator.audit.fault_log) >= 20
    assert faulty.records == clean.records
    assert faulty.state == clean.state
    assert "retrying in" in faulty.log


def test_retry_after_is_honoured(emulator: Emulator, fake_waits: t.Any) -> None:
    emulator.audit.add_fault(Fault("rate_limit", retry_after=7))
    result = run(emulator)
    assert result.error is None
    assert fake_waits.slept[0] == 7.0
    assert "HTTP 429 from Langdock: Too Many Requests: Rate limit exceeded; retrying in 7.0 s" in (
        result.log
    )


def test_a_start_past_retention_is_named_once_and_the_rest_is_read(emulator: Emulator) -> None:
    result = run(emulator, start_date="2026-01-01", end_date="2026-03-18", timezone="Europe/Berlin")
    assert result.error is None, result.error
    warnings = [line for line in result.log.splitlines() if "retention" in line]
    assert warnings == [
        "WARNING tap-langdock.audit_logs audit_logs: audit entries from 2025-12-31T23:00:00Z to "
        "2026-03-17T12:00:00Z are past Langdock's 90-day retention and were not exported; "
        "continuing from 2026-03-17T12:00:00Z. Run the tap at least daily so this never "
        "happens again"
    ]
    oldest = instant("2026-03-17T12:00:00Z")
    assert emulator.audit.requests[0].params["from"] == "2026-03-17T11:59:59.000Z"
    expected = truth(emulator, "2026-03-18T23:00:00Z", oldest)  # end_date's local midnight
    check_equal(by_id(result.records["audit_logs"]), expected)


def test_an_old_bookmark_loses_only_what_was_not_read(emulator: Emulator) -> None:
    state = {"bookmarks": {"audit_logs": {"read_through": "2026-03-10T00:00:00.000000+00:00"}}}
    result = run(emulator, state, start_date="2026-01-01", end_date="2026-03-17")
    assert result.error is None, result.error
    assert "audit entries from 2026-03-10T00:00:00Z to 2026-03-17T12:00:00Z" in result.log
    assert bookmarks(result)[-1] == "2026-03-18T00:00:00.000000+00:00"


@pytest.mark.parametrize("pii", ["hash", "drop"])
def test_pii_changes_actor_name_and_ip_address_only(emulator: Emulator, pii: str) -> None:
    kept = by_id(run(emulator, end_date="2026-06-12").records["audit_logs"])
    changed = by_id(run(emulator, end_date="2026-06-12", pii=pii).records["audit_logs"])
    assert kept.keys() == changed.keys()
    for key, record in changed.items():
        original = kept[key]
        for field in ("actor_name", "ip_address"):
            value = original[field]
            if pii == "drop" or value is None:
                assert record[field] is None
            else:
                assert record[field] == hashlib.sha256(value.strip().lower().encode()).hexdigest()
        same = {k: v for k, v in record.items() if k not in ("actor_name", "ip_address")}
        assert same == {k: v for k, v in original.items() if k not in ("actor_name", "ip_address")}


def test_a_separate_audit_key_is_used_and_never_shown(emulator: Emulator) -> None:
    emulator.audit.settings.api_key = AUDIT_KEY
    result = run(emulator, end_date="2026-06-12", audit_log_api_key=AUDIT_KEY)
    assert result.error is None, result.error
    assert all(request.authorized for request in emulator.audit.requests)
    assert AUDIT_KEY not in result.log  # run_tap scans records, state and log for both keys


ERRORS = [
    (
        {"audit_log_api_key": "ld-wrong-SECRET-000000"},
        "audit_logs, range 2026-06-12T00:00:00Z..2026-06-13T00:00:00Z: Langdock rejected the "
        "audit-log key (HTTP 401: Unauthorized: Invalid or missing API key): check "
        "audit_log_api_key, or api_key when audit_log_api_key is not set",
    ),
    (
        {"workspace_id": "another-workspace"},
        "Langdock refused the audit log of workspace another-workspace (HTTP 403: Forbidden: API "
        "key does not belong to this workspace): either the key lacks the AUDIT_LOG_API scope",
    ),
    (
        {"api_url": "http://127.0.0.1:9"},
        "audit_logs, range 2026-06-12T00:00:00Z..2026-06-13T00:00:00Z: cannot connect to "
        "127.0.0.1:9 (3 attempts): check api_url and that this machine can reach it",
    ),
]


@pytest.mark.parametrize(("settings", "line"), ERRORS)
def test_refusals_stop_with_one_line(
    emulator: Emulator, settings: dict[str, t.Any], line: str
) -> None:
    result = run(emulator, None, **settings)
    assert result.error is not None
    assert line in str(result.error)
    assert "\n" not in str(result.error)
    assert result.records.get("audit_logs", []) == []


def test_the_usage_key_without_the_audit_scope_is_named(emulator: Emulator) -> None:
    emulator.audit.settings.api_key = AUDIT_KEY  # the usage key lacks the scope now
    result = run(emulator)
    assert "either the key lacks the AUDIT_LOG_API scope" in str(result.error)
    assert "HTTP 403: Forbidden: API key lacks the AUDIT_LOG_API scope" in str(result.error)


def test_nothing_to_read_when_the_log_is_read_through_the_settled_end(
    emulator: Emulator,
) -> None:
    state = {"bookmarks": {"audit_logs": {"read_through": "2026-06-15T12:30:00.000000+00:00"}}}
    result = run(emulator, state)
    assert result.error is None
    assert "audit_logs: nothing to read: the log is read through 2026-06-15T12:30:00Z" in (
        result.log
    )
    assert emulator.audit.requests == []


def test_a_bookmark_that_is_no_date_time_is_named(emulator: Emulator) -> None:
    state = {"bookmarks": {"audit_logs": {"read_through": "last tuesday"}}}
    result = run(emulator, state)
    assert str(result.error) == (
        "audit_logs: the state's read_through 'last tuesday' is not an ISO date-time; clear "
        "this stream's state (meltano state clear) and run again"
    )
    assert emulator.audit.requests == []


def test_entries_read_twice_within_a_range_are_emitted_once(emulator: Emulator) -> None:
    """Offset cursors over entries that keep showing up: pages shift and repeat entries."""
    settings = emulator.audit.settings
    settings.cursor, settings.page_size, settings.late_max_seconds = "offset", 5, 6 * 3600.0
    ticks = iter(range(10_000))
    emulator.audit.clock = lambda: AUDIT_NOW + dt.timedelta(minutes=20 * next(ticks))
    result = run(emulator, start_date="2026-06-15")
    assert result.error is None, result.error
    repeated = sum(int(n) for n in re.findall(r"(\d+) read twice", result.log))
    assert repeated > 0
    assert not duplicates(result.records["audit_logs"])


def test_every_request_takes_a_slot_from_the_shared_limiter(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, fake_waits: t.Any
) -> None:
    limiter = RateLimiter(3, clock=fake_waits.monotonic, sleep=fake_waits.sleep)
    asked: list[tuple[str, int]] = []

    def shared(api_url: str, per_minute: int) -> RateLimiter:
        asked.append((api_url, per_minute))
        return limiter

    monkeypatch.setattr(run_module, "shared_limiter", shared)
    result = run(emulator, end_date="2026-06-12", max_requests_per_minute=3)
    assert result.error is None, result.error
    assert asked == [(emulator.url, 3)]
    requests = len(emulator.audit.requests)
    assert requests == 4
    # Four requests at three per minute: the fourth waited for the first one's minute to end.
    assert limiter.waited == pytest.approx(60.0)
