"""Windows as Langdock reads them: wall-clock bounds in the zone, converted to instants.

The tap never converts to UTC itself; these properties check that the wall-clock bounds it
sends mean whole local days, and that consecutive windows meet without gap or overlap, in
every IANA zone (Langdock's reading: trailing Z stripped, time taken in `timezone`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_langdock.windows import Grain, window_containing

ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})
MS = dt.timedelta(milliseconds=1)


def as_langdock_reads(wall: str, zone: str) -> dt.datetime:
    naive = dt.datetime.fromisoformat(wall.removesuffix("Z"))
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(dt.timezone.utc)


def instants(day: dt.date, grain: Grain, zone: str) -> tuple[dt.datetime, dt.datetime]:
    start, end = window_containing(day, grain).request_range()
    return as_langdock_reads(start, zone), as_langdock_reads(end, zone)


def offset_changes_at_midnight(day: dt.date, zone: str) -> bool:
    """Whether the zone's clocks change exactly at the start of ``day`` (local midnight)."""
    tz = zoneinfo.ZoneInfo(zone)
    before = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(23, 59), tzinfo=tz)
    after = dt.datetime.combine(day, dt.time(1, 0), tzinfo=tz)
    return before.utcoffset() != after.utcoffset() and (
        dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz).utcoffset() != after.utcoffset()
        or dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz).replace(fold=1).utcoffset()
        != before.utcoffset()
    )


@settings(max_examples=400)
@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
    grain=st.sampled_from(list(Grain)),
)
def test_consecutive_windows_meet_exactly(zone: str, day: dt.date, grain: Grain) -> None:
    window = window_containing(day, grain)
    _, end = instants(window.start, grain, zone)
    following, _ = instants(window.next().start, grain, zone)
    if following - end != MS:
        # Only a clock change at local midnight can open a gap or an overlap: then the
        # wall-clock bound names a time that happens twice or never (see the README).
        assert offset_changes_at_midnight(window.next().start, zone)


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", dt.date(2025, 3, 30), 23),
        ("Europe/Berlin", dt.date(2025, 10, 26), 25),
        ("America/Los_Angeles", dt.date(2025, 3, 9), 23),
        ("America/Los_Angeles", dt.date(2025, 11, 2), 25),
        ("Asia/Kolkata", dt.date(2025, 3, 9), 24),
        ("Australia/Lord_Howe", dt.date(2025, 4, 6), 24.5),  # half-hour DST
    ],
)
def test_dst_days_are_whole_local_days(zone: str, day: dt.date, hours: float) -> None:
    start, end = instants(day, Grain.DAY, zone)
    assert (end + MS - start) == dt.timedelta(hours=hours)


@given(
    zone=st.sampled_from(["Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "UTC"]),
    day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)),
)
def test_day_windows_in_common_zones_always_tile(zone: str, day: dt.date) -> None:
    _, end = instants(day, Grain.DAY, zone)
    following, _ = instants(day + dt.timedelta(days=1), Grain.DAY, zone)
    assert following - end == MS
    start, _ = instants(day, Grain.DAY, zone)
    assert dt.timedelta(hours=23) <= end + MS - start <= dt.timedelta(hours=25)
