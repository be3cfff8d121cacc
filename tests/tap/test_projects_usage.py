"""projects_usage end to end against the emulator: data equal to Langdock's, state, errors."""

from __future__ import annotations

import datetime as dt
import typing as t
import zoneinfo

import pytest

from langdock_emulator import Emulator, Fault
from tap_langdock.errors import ExportError, StateError
from tests.support.secrets import TEST_API_KEY
from tests.support.tap_runner import run_tap, tap_config

KEY = ("project_id", "period_start", "period_end", "org_id")


def local_days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def day_bounds_utc(day: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """How Langdock reads a local day: wall-clock bounds in the zone (fold=0), as UTC."""
    tz = zoneinfo.ZoneInfo(zone)
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz)
    end = dt.datetime.combine(day, dt.time(23, 59, 59, 999000), tzinfo=tz)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def ground_truth_total(emu: Emulator, days: list[dt.date], zone: str) -> int:
    total = 0
    for day in days:
        start, end = day_bounds_utc(day, zone)
        total += sum(
            emu.ground_truth_messages("projects", project, start, end)
            for project in emu.entity_ids("projects")
        )
    return total


def typed(row: dict[str, str]) -> dict[str, t.Any]:
    return {
        "period_start": row["period_start"],
        "period_end": row["period_end"],
        "org_id": row["org_id"],
        "project_id": row["project_id"],
        "project_name": row["project_name"] or None,
        "project_owner_id": row["project_owner_id"] or None,
        "project_owner_email": row.get("project_owner_email") or None,
        "messages": int(row["messages"]),
    }


def _asked_windows(emulator: Emulator) -> list[tuple[str, str]]:
    """(first day, last day) of every export request, in order."""
    return [((r.from_date or "")[:10], (r.to_date or "")[:10]) for r in emulator.export_requests]


def test_records_equal_langdocks_rows_typed(emulator: Emulator) -> None:
    run = run_tap(tap_config(emulator, end_date="2025-03-01"))
    assert run.error is None
    records = run.records["projects_usage"]
    expected = [
        typed(row)
        for row in emulator.expected_rows(
            "projects", "2025-03-01T00:00:00.000", "2025-03-01T23:59:59.999", "UTC"
        )
    ]
    assert expected, "the emulator should have usage on this day"
    got = [{k: r[k] for k in expected[0]} for r in records]
    assert got == expected
    assert all(r["window_start"] == r["window_end"] == "2025-03-01" for r in records)
    assert all(r["window_timezone"] == "UTC" for r in records)
    assert all(r["_extra_columns"] is None for r in records)
    # tricky names survive: commas, quotes, newlines, non-ASCII
    names = {r["project_name"] for r in records}
    assert any(name and ("\n" in name or '"' in name or "," in name) for name in names)


def test_schema_message_declares_types_and_key(emulator: Emulator) -> None:
    run = run_tap(tap_config(emulator, end_date="2025-03-01"))
    schema = next(m for m in run.messages if m["type"] == "SCHEMA")
    assert schema["key_properties"] == list(KEY)
    assert schema["bookmark_properties"] == ["period_end"]
    props = schema["schema"]["properties"]
    assert props["messages"]["type"] == ["integer", "null"]
    assert props["period_end"]["format"] == "date"
    assert "null" in props["project_owner_email"]["type"]


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles"])
def test_sixty_day_backfill_in_three_runs(emulator: Emulator, zone: str) -> None:
    """Every local day requested exactly once; totals equal the emulator's ground truth."""
    start = dt.date(2025, 2, 1)
    ends = [dt.date(2025, 2, 17), dt.date(2025, 3, 9), dt.date(2025, 4, 1)]
    state: dict[str, t.Any] | None = None
    records: list[dict[str, t.Any]] = []
    for end in ends:
        config = tap_config(
            emulator,
            start_date=start.isoformat(),
            end_date=end.isoformat(),
            timezone=zone,
            lookback_windows=0,
        )
        run = run_tap(config, state)
        assert run.error is None, run.error
        records += run.records.get("projects_usage", [])
        state = run.state
        assert state is not None
        assert run.bookmark("projects_usage")["exported_through"] == end.isoformat()
    days = local_days(start, ends[-1])
    assert len(days) == 60
    requested = [(r.from_date or "")[:10] for r in emulator.export_requests]
    assert requested == [d.isoformat() for d in days]  # once each, in order
    assert all(r.from_timezone == r.to_timezone == zone for r in emulator.export_requests)
    keys = [tuple(r[k] for k in KEY) for r in records]
    assert len(keys) == len(set(keys))
    assert sum(r["messages"] for r in records) == ground_truth_total(emulator, days, zone)
    if zone == "America/Los_Angeles":
        # West of UTC the local day ends on the next UTC date.
        assert all(
            dt.date.fromisoformat(r["period_end"])
            == dt.date.fromisoformat(r["window_end"]) + dt.timedelta(days=1)
            for r in records
        )


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", dt.date(2025, 3, 30), 23),
        ("Europe/Berlin", dt.date(2025, 10, 26), 25),
        ("America/Los_Angeles", dt.date(2025, 3, 9), 23),
        ("America/Los_Angeles", dt.date(2025, 11, 2), 25),
        ("Asia/Kolkata", dt.date(2025, 3, 1), 24),
    ],
)
def test_dst_and_half_hour_days_are_whole_local_days(
    emulator: Emulator, zone: str, day: dt.date, hours: int
) -> None:
    start, end = day_bounds_utc(day, zone)
    assert round((end - start).total_seconds() / 3600) == hours
    run = run_tap(
        tap_config(emulator, start_date=day.isoformat(), end_date=day.isoformat(), timezone=zone)
    )
    assert run.error is None
    (request,) = emulator.export_requests
    assert (request.from_date, request.to_date) == (
        f"{day}T00:00:00.000",
        f"{day}T23:59:59.999",
    )
    total = sum(r["messages"] for r in run.records.get("projects_usage", []))
    assert total == ground_truth_total(emulator, [day], zone)


def test_lookback_re_exports_and_state_never_moves_back(emulator: Emulator) -> None:
    first = run_tap(tap_config(emulator, end_date="2025-03-05", lookback_windows=2))
    state = first.state
    assert state is not None
    again = run_tap(tap_config(emulator, end_date="2025-03-05", lookback_windows=2), state)
    assert again.error is None
    requested = [(r.from_date or "")[:10] for r in emulator.export_requests]
    assert requested[-2:] == ["2025-03-04", "2025-03-05"]
    assert len(requested) == 7
    assert again.bookmark("projects_usage")["exported_through"] == "2025-03-05"
    for earlier, later in zip(again.states, again.states[1:], strict=False):
        a = earlier["bookmarks"]["projects_usage"]
        b = later["bookmarks"]["projects_usage"]
        assert b["exported_through"] >= a["exported_through"]
        assert b["replication_key_value"] >= a["replication_key_value"]
    assert next(r["window_start"] for r in again.records["projects_usage"]) == "2025-03-04"


def test_state_after_every_window(emulator: Emulator) -> None:
    run = run_tap(tap_config(emulator, end_date="2025-03-03"))
    through = [
        s["bookmarks"]["projects_usage"]["exported_through"]
        for s in run.states
        if "projects_usage" in s.get("bookmarks", {})
    ]
    assert through == ["2025-03-01", "2025-03-02", "2025-03-03"]
    # each STATE follows all RECORDs of its window
    seen: list[str] = []
    for message in run.messages:
        if message["type"] == "RECORD":
            seen.append(message["record"]["window_start"])
        elif message["type"] == "STATE":
            done = message["value"]["bookmarks"]["projects_usage"]["exported_through"]
            assert all(w <= done for w in seen)


def test_no_data_window_moves_the_bookmark(emulator: Emulator) -> None:
    emulator.settings.quiet_days = {"2025-03-02"}
    run = run_tap(tap_config(emulator, end_date="2025-03-03"))
    assert run.error is None
    assert [r.status for r in emulator.export_requests] == [200, 404, 200]
    assert run.bookmark("projects_usage")["exported_through"] == "2025-03-03"
    assert {r["window_start"] for r in run.records["projects_usage"]} == {
        "2025-03-01",
        "2025-03-03",
    }
    assert "no data (HTTP 404)" in run.log


def test_changed_window_or_timezone_stops_with_a_clear_message(emulator: Emulator) -> None:
    state = run_tap(tap_config(emulator, end_date="2025-03-02")).state
    weekly = run_tap(tap_config(emulator, end_date="2025-03-20", window="week"), state)
    assert isinstance(weekly.error, StateError)
    assert "window=day but the setting is window=week" in str(weekly.error)
    berlin = run_tap(tap_config(emulator, end_date="2025-03-20", timezone="Europe/Berlin"), state)
    assert isinstance(berlin.error, StateError)
    assert "timezone=UTC but the setting is timezone=Europe/Berlin" in str(berlin.error)
    assert len(emulator.export_requests) == 2  # neither bad run asked Langdock anything


def test_week_and_month_windows_are_aligned(emulator: Emulator) -> None:
    run = run_tap(
        tap_config(emulator, start_date="2025-03-05", end_date="2025-03-31", window="week")
    )
    assert run.error is None
    assert _asked_windows(emulator) == [
        ("2025-03-03", "2025-03-09"),
        ("2025-03-10", "2025-03-16"),
        ("2025-03-17", "2025-03-23"),
        ("2025-03-24", "2025-03-30"),
    ]
    emulator.export_requests.clear()
    run = run_tap(
        tap_config(emulator, start_date="2025-01-15", end_date="2025-03-30", window="month")
    )
    assert _asked_windows(emulator) == [
        ("2025-01-01", "2025-01-31"),
        ("2025-02-01", "2025-02-28"),
    ]


def test_end_date_in_the_future_stops_at_yesterday(emulator: Emulator) -> None:
    today = dt.datetime.now(zoneinfo.ZoneInfo("Pacific/Kiritimati")).date()
    run = run_tap(
        tap_config(
            emulator,
            start_date=(today - dt.timedelta(days=2)).isoformat(),
            end_date=(today + dt.timedelta(days=3)).isoformat(),
            timezone="Pacific/Kiritimati",
        )
    )
    assert run.error is None
    assert [(r.from_date or "")[:10] for r in emulator.export_requests] == [
        (today - dt.timedelta(days=2)).isoformat(),
        (today - dt.timedelta(days=1)).isoformat(),
    ]
    assert "is not over yet" in run.log


SAME_AS_CLEAN = [
    Fault("rate_limit", retry_after="3"),
    Fault("rate_limit", retry_after="Wed, 21 Oct 2015 07:28:00 GMT"),
    Fault("server_error", status=500),
    Fault("server_error", status=502),
    Fault("server_error", status=503, count=3),
    Fault("reset"),
    Fault("download_reset"),
    Fault("truncate"),
    Fault("expired_url"),
    Fault("storage_403"),
    Fault("record_count_mismatch"),
    Fault("slow", delay=7),
    Fault("not_json"),
    Fault("html_error", status=200),
    Fault("success_false"),
    Fault("missing_download_url"),
]


@pytest.mark.parametrize("fault", SAME_AS_CLEAN, ids=lambda f: f"{f.kind}-{f.status or ''}")
def test_each_fault_gives_the_same_records_and_state(emulator: Emulator, fault: Fault) -> None:
    config = tap_config(emulator, end_date="2025-03-02", request_timeout=2)
    clean = run_tap(config)
    emulator.add_fault(fault)
    faulty = run_tap(config)
    assert faulty.error is None, faulty.error
    assert emulator.fault_log, "the fault was not injected"
    assert faulty.records == clean.records
    assert faulty.state == clean.state
    assert "retr" in faulty.log or "fresh export" in faulty.log


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault("unauthorized"), "Langdock rejected the API key (HTTP 401"),
        (Fault("forbidden"), "Langdock rejected the API key (HTTP 403"),
        (Fault("too_large"), "a shorter window does not help"),
    ],
)
def test_fatal_answers_stop_with_the_window_and_what_to_do(
    emulator: Emulator, fault: Fault, expected: str
) -> None:
    emulator.add_fault(fault)
    run = run_tap(tap_config(emulator, end_date="2025-03-02"))
    assert isinstance(run.error, ExportError)
    message = str(run.error)
    assert expected in message
    assert "projects_usage, window 2025-03-01 (UTC)" in message
    assert "projects_usage" not in run.records
    assert run.state is None or "exported_through" not in run.state["bookmarks"].get(
        "projects_usage", {}
    )


def test_retry_budget_runs_out_with_a_clear_message(emulator: Emulator) -> None:
    emulator.add_fault(Fault("server_error", status=503, count=50))
    run = run_tap(tap_config(emulator, end_date="2025-03-02", max_retry_seconds=20))
    assert isinstance(run.error, ExportError)
    assert "retry budget (max_retry_seconds=20) ran out" in str(run.error)
    assert "window 2025-03-01" in str(run.error)


def test_the_key_goes_to_langdock_only(emulator: Emulator) -> None:
    run = run_tap(tap_config(emulator, end_date="2025-03-02"))
    assert run.error is None
    assert all(r.authorized for r in emulator.export_requests)
    assert emulator.download_requests
    assert not any(d.had_authorization for d in emulator.download_requests)
    assert TEST_API_KEY not in run.log
