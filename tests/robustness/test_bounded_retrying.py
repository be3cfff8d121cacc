"""Retrying is bounded: when max_retry_seconds runs out the tap stops with what failed, for which
window, after how many requests, and the state it already emitted resumes exactly there."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from langdock_emulator import Emulator, Fault
from tap_langdock.errors import ExportError
from tests.support.clock import FakeClock
from tests.support.records import keyed
from tests.support.tap_runner import run_tap, tap_config, window_done

STREAM = "projects_usage"
_FAILED = re.compile(
    r"projects_usage, window (?P<window>\d{4}-\d{2}-\d{2}) \(UTC\): (?P<reason>.+?); "
    r"gave up after (?P<requests>\d+) request\(s\) because the retry budget "
    r"\(max_retry_seconds=(?P<budget>\d+)\) ran out\. Windows before this one are loaded and "
    r"bookmarked: run again later to continue from here"
)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault("server_error", status=503, count=10_000), "HTTP 503 from Langdock"),
        (
            Fault("rate_limit", retry_after="45", count=10_000),
            "HTTP 429 from Langdock: Too Many Requests: Rate limit for public API exceeded",
        ),
        (Fault("reset", count=10_000), "connection to Langdock dropped (ConnectionError)"),
    ],
    ids=["503", "429-retry-after", "reset"],
)
def test_budget_runs_out_with_window_reason_attempts_and_a_valid_state(
    emulator: Emulator, clock: FakeClock, fault: Fault, reason: str
) -> None:
    # One export at a time pins down which window meets the fault; the parallel path is
    # checked by test_budget_runs_out_with_parallel_exports below.
    config = tap_config(
        emulator,
        start_date="2026-03-01",
        end_date="2026-03-05",
        lookback_windows=0,
        max_retry_seconds=300,
        max_parallel_exports=1,
    )
    clean = run_tap(config, streams=[STREAM])
    assert clean.error is None
    emulator.reset()
    # Every request fails from the moment the second window is done.
    run = run_tap(
        config,
        streams=[STREAM],
        when_logged=[(window_done(STREAM, "2026-03-02"), lambda: emulator.add_fault(fault))],
    )
    assert isinstance(run.error, ExportError), run.error
    message = str(run.error)
    match = _FAILED.fullmatch(message)
    assert match, message
    failed = match["window"]
    assert failed >= "2026-03-03"
    assert match["reason"] == reason
    assert match["budget"] == "300"
    # The attempts named are the attempts made: every export POST for the failed window.
    posts = [r for r in emulator.export_requests if (r.from_date or "").startswith(failed)]
    assert int(match["requests"]) == len(posts) >= 2
    # The waits respected the budget and Retry-After.
    waits = clock.slept
    assert sum(waits) <= 300
    if fault.kind == "rate_limit":
        assert waits
        assert all(w == 45 for w in waits[-len(posts) + 1 :])
    # No row of the failed window; the state's bookmark is the window before it.
    assert all(r["window_start"] < failed for r in run.records.get(STREAM, []))
    before = (dt.date.fromisoformat(failed) - dt.timedelta(days=1)).isoformat()
    assert run.through(STREAM) == before
    # The next run (faults gone) resumes exactly at the failed window: no gap, no repeat.
    emulator.reset()
    again = run_tap(config, run.state, streams=[STREAM])
    assert again.error is None, again.error
    assert next(r.from_date[:10] for r in emulator.export_requests if r.from_date) == failed
    requested = sorted({r.from_date[:10] for r in emulator.export_requests if r.from_date})
    assert requested == [
        d
        for d in ("2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05")
        if d >= failed
    ]
    combined = run.records.get(STREAM, []) + again.records.get(STREAM, [])
    assert keyed(combined, STREAM) == keyed(clean.records[STREAM], STREAM)
    assert len(combined) == len(clean.records[STREAM])
    assert again.state == clean.state


@pytest.mark.parametrize("parallel", [2, 4])
def test_budget_runs_out_with_parallel_exports(
    emulator: Emulator, clock: FakeClock, parallel: int
) -> None:
    """Windows exported ahead on threads: the error is the first window's, in window order;
    nothing of the stream is emitted, no bookmark moves, and the next run starts there."""
    start_state = {
        "bookmarks": {
            STREAM: {"exported_through": "2026-02-28", "window": "day", "timezone": "UTC"}
        }
    }
    config = tap_config(
        emulator,
        start_date="2026-02-01",
        end_date="2026-03-06",
        lookback_windows=0,
        max_retry_seconds=120,
        max_parallel_exports=parallel,
    )
    emulator.add_fault(Fault("server_error", status=502, count=10_000))
    run = run_tap(config, start_state, streams=[STREAM])
    assert isinstance(run.error, ExportError), run.error
    match = _FAILED.fullmatch(str(run.error))
    assert match, str(run.error)
    assert match["window"] == "2026-03-01"
    assert match["reason"] == "HTTP 502 from Langdock"
    posts = [r for r in emulator.export_requests if (r.from_date or "").startswith("2026-03-01")]
    assert int(match["requests"]) == len(posts) >= 2
    assert STREAM not in run.records
    assert all(state == start_state for state in run.states), run.states
    emulator.reset()
    again = run_tap(config, start_state, streams=[STREAM])
    assert again.error is None, again.error
    assert min(r.from_date[:10] for r in emulator.export_requests if r.from_date) == "2026-03-01"
    assert again.through(STREAM) == "2026-03-06"


def test_retry_after_longer_than_the_budget_stops_at_once(
    emulator: Emulator, clock: FakeClock
) -> None:
    """Waiting 600 s when only 60 s are allowed would be pointless: stop and say so."""
    emulator.add_fault(Fault("rate_limit", retry_after="600", count=5))
    run = run_tap(
        tap_config(emulator, start_date="2026-03-01", end_date="2026-03-01", max_retry_seconds=60),
        streams=[STREAM],
    )
    assert isinstance(run.error, ExportError)
    assert str(run.error).startswith(
        "projects_usage, window 2026-03-01 (UTC): HTTP 429 from Langdock"
    )
    assert "gave up after 1 request(s) because the retry budget (max_retry_seconds=60) ran out" in (
        str(run.error)
    )
    assert clock.slept == []
    assert STREAM not in run.records
    assert run.through(STREAM) is None


def test_budget_is_per_window_not_per_run(emulator: Emulator, clock: FakeClock) -> None:
    """Each window gets the whole budget: five windows that each wait 40 s fit a 60 s budget."""
    days = [f"2026-03-0{d}" for d in range(1, 6)]

    def one_more() -> None:
        emulator.add_fault(Fault("rate_limit", retry_after="40"))

    one_more()
    config = tap_config(
        emulator,
        start_date=days[0],
        end_date=days[-1],
        max_retry_seconds=60,
        max_parallel_exports=1,
    )
    triggers = [(window_done(STREAM, day), one_more) for day in days[:-1]]
    run = run_tap(config, streams=[STREAM], when_logged=triggers)
    assert run.error is None, run.error
    assert clock.slept == [40.0] * 5
    assert run.through(STREAM) == days[-1]


def _first_window_resets(emulator: Emulator, export_type: str) -> None:
    emulator.add_fault(Fault("reset", export_type=export_type, count=3))


def test_resets_on_a_later_streams_first_window_are_retried(
    emulator: Emulator, clock: FakeClock
) -> None:
    # Sequential, so the three resets meet the same window (in parallel they may spread over
    # several windows and the bug shows only sometimes).
    config = tap_config(
        emulator, start_date="2026-03-01", end_date="2026-03-02", max_parallel_exports=1
    )
    clean = run_tap(config, streams=["projects_usage", "users_usage"])
    emulator.reset()
    _first_window_resets(emulator, "users")
    run = run_tap(config, streams=["projects_usage", "users_usage"])
    assert run.error is None, run.error
    assert run.records == clean.records
    assert run.state == clean.state


def test_refused_connection_at_start_still_fails_fast(clock: FakeClock) -> None:
    """The fail-fast the bug above over-applies: nothing listens at api_url."""
    with Emulator() as emu:
        url = emu.url
    run = run_tap(
        {
            "api_key": "ld-test-key-SECRET-2f9c61",
            "api_url": url,
            "start_date": "2026-03-01",
            "end_date": "2026-03-01",
        },
        streams=[STREAM],
    )
    assert isinstance(run.error, ExportError)
    host = url.removeprefix("http://")
    assert f"cannot connect to {host} (3 attempts): check api_url" in str(run.error)
    assert sum(clock.slept) < 30
