"""The range planner: tiling, overlap, settle lag, retention, and completeness across runs."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tap_langdock.audit.ranges import (
    LATE_ARRIVAL,
    MAX_RANGE,
    OVERLAP,
    RETENTION,
    SETTLE,
    Range,
    ceil_minute,
    plan_ranges,
    show,
)

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 6, 15, 12, 0, 30, 250_000, tzinfo=UTC)
SETTLED = dt.datetime(2026, 6, 15, 11, 55, tzinfo=UTC)


def utc(year: int, month: int, day: int, *rest: int) -> dt.datetime:
    """A UTC instant from (year, month, day, hour, minute, second, microsecond)."""
    return dt.datetime(year, month, day, tzinfo=UTC) + _since_midnight(rest)


def _since_midnight(parts: tuple[int, ...]) -> dt.timedelta:
    names = ("hours", "minutes", "seconds", "microseconds")
    return dt.timedelta(**dict(zip(names, parts, strict=False)))


def test_first_run_reads_from_start_to_the_settled_end_in_utc_days() -> None:
    plan = plan_ranges(now=NOW, start=utc(2026, 6, 13, 22))
    assert [str(r) for r in plan.ranges] == [
        "2026-06-13T22:00:00Z..2026-06-14T00:00:00Z",
        "2026-06-14T00:00:00Z..2026-06-15T00:00:00Z",
        "2026-06-15T00:00:00Z..2026-06-15T11:55:00Z",
    ]
    assert plan.settled_end == SETTLED
    assert plan.lost is None
    assert plan.resumed_from is None


def test_a_bookmark_is_read_again_from_the_overlap_before_it() -> None:
    plan = plan_ranges(now=NOW, start=utc(2026, 6, 1), read_through=utc(2026, 6, 15, 0, 5))
    assert [str(r) for r in plan.ranges] == [
        "2026-06-14T23:50:00Z..2026-06-15T00:00:00Z",
        "2026-06-15T00:00:00Z..2026-06-15T11:55:00Z",
    ]


def test_the_overlap_never_reaches_before_start_date() -> None:
    plan = plan_ranges(now=NOW, start=utc(2026, 6, 15), read_through=utc(2026, 6, 15, 0, 5))
    assert plan.ranges[0].start == utc(2026, 6, 15)


def test_a_start_date_after_the_bookmark_wins() -> None:
    plan = plan_ranges(now=NOW, start=utc(2026, 6, 15, 6), read_through=utc(2026, 6, 10))
    assert plan.ranges[0].start == utc(2026, 6, 15, 6)


def test_end_date_limits_the_run_but_never_past_the_settled_end() -> None:
    early = plan_ranges(now=NOW, start=utc(2026, 6, 13), end=utc(2026, 6, 14))
    assert [str(r) for r in early.ranges] == ["2026-06-13T00:00:00Z..2026-06-14T00:00:00Z"]
    late = plan_ranges(now=NOW, start=utc(2026, 6, 15), end=utc(2026, 7, 1))
    assert late.ranges[-1].end == SETTLED


def test_nothing_to_read_when_the_bookmark_is_settled() -> None:
    plan = plan_ranges(now=NOW, start=utc(2026, 6, 1), read_through=SETTLED + OVERLAP)
    assert plan.ranges == ()
    assert plan.lost is None


def test_a_start_past_retention_names_what_is_lost_and_starts_at_the_oldest_entry() -> None:
    plan = plan_ranges(now=NOW, start=utc(2026, 1, 1))
    oldest = utc(2026, 3, 17, 12, 1)  # now - 90 days, to the next whole minute
    assert plan.lost == Range(utc(2026, 1, 1), oldest)
    assert plan.ranges[0].start == oldest
    assert plan.ranges[-1].end == SETTLED


def test_only_the_unread_part_of_an_old_bookmark_is_lost() -> None:
    bookmark = utc(2026, 3, 17, 12, 0)
    plan = plan_ranges(now=NOW, start=utc(2026, 1, 1), read_through=bookmark)
    assert plan.lost == Range(bookmark, utc(2026, 3, 17, 12, 1))
    recent = plan_ranges(now=NOW, start=utc(2026, 1, 1), read_through=utc(2026, 3, 17, 12, 5))
    assert recent.lost is None  # the overlap alone reaches past retention: nothing is lost
    assert recent.ranges[0].start == utc(2026, 3, 17, 12, 1)


def test_lost_period_ends_at_end_date_when_everything_wanted_is_gone() -> None:
    plan = plan_ranges(now=NOW, start=utc(2026, 1, 1), end=utc(2026, 2, 1))
    assert plan.lost == Range(utc(2026, 1, 1), utc(2026, 2, 1))
    assert plan.ranges == ()


def test_ranges_hold_their_start_not_their_end_and_ask_with_a_margin() -> None:
    window = Range(utc(2026, 6, 14), utc(2026, 6, 15))
    assert window.holds(utc(2026, 6, 14))
    assert not window.holds(utc(2026, 6, 15))
    start, end = window.request_bounds()
    assert start < window.start
    assert end > window.end


def test_show_is_utc_with_z_and_microseconds_only_when_present() -> None:
    berlin = dt.timezone(dt.timedelta(hours=2))
    assert show(dt.datetime(2026, 6, 15, 2, 0, tzinfo=berlin)) == "2026-06-15T00:00:00Z"
    assert show(utc(2026, 6, 15, 0, 0, 0, 120_000)) == "2026-06-15T00:00:00.120000Z"


instants = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(now=instants, start=instants, end=st.none() | instants, bookmark=st.none() | instants)
def test_ranges_tile_the_run_without_gaps(
    now: dt.datetime, start: dt.datetime, end: dt.datetime | None, bookmark: dt.datetime | None
) -> None:
    plan = plan_ranges(now=now, start=start, end=end, read_through=bookmark)
    oldest = ceil_minute(now - RETENTION)  # the first whole minute that surely still exists
    for window in plan.ranges:
        assert window.start < window.end <= window.start + MAX_RANGE
        assert window.start >= start
        assert window.start >= oldest
        assert window.end <= plan.settled_end <= now - SETTLE
        if end is not None:
            assert window.end <= end
    for before, after in zip(plan.ranges, plan.ranges[1:], strict=False):
        assert before.end == after.start
        assert after.start.time() == dt.time()  # later ranges start at UTC midnight
    if plan.ranges and bookmark is not None:
        # Everything after the bookmark that is wanted, exists and is settled gets read.
        assert plan.ranges[0].start <= max(bookmark, start, oldest)
        # ... and nothing is read again from earlier than the overlap.
        assert plan.ranges[0].start >= bookmark - OVERLAP
    unread = start if bookmark is None else max(start, bookmark)
    limit = plan.settled_end if end is None else min(plan.settled_end, end)
    assert (plan.lost is not None) == (unread < min(oldest, limit))


def test_overlap_and_settle_lag_cover_the_late_arrival_assumption() -> None:
    assert OVERLAP + SETTLE >= LATE_ARRIVAL
    assert OVERLAP >= LATE_ARRIVAL  # also when this machine's clock is SETTLE ahead


@settings(max_examples=300, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=36 * 60), min_size=1, max_size=10),
    entries=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=9),  # near which run
            st.integers(min_value=0, max_value=1800),  # created this many seconds before it
            st.integers(min_value=0, max_value=int(LATE_ARRIVAL.total_seconds())),  # delay, s
        ),
        max_size=40,
    ),
)
def test_runs_at_any_times_read_every_entry_once_it_is_visible(
    gaps: list[int], entries: list[tuple[int, int, int]]
) -> None:
    """Simulated runs (gaps in minutes between them), reading at each run's start.

    Entries are placed just before the runs, where late arrival meets the settled end.
    """
    t0 = utc(2026, 6, 1)
    times = []
    now = t0 + dt.timedelta(hours=1)
    for gap in gaps:
        now += dt.timedelta(minutes=gap, seconds=17)
        times.append(now)
    log = [
        (times[k % len(times)] - dt.timedelta(seconds=before), dt.timedelta(seconds=delay))
        for k, before, delay in entries
    ]
    read: set[int] = set()
    bookmark: dt.datetime | None = None
    for now in times:
        for window in plan_ranges(now=now, start=t0, read_through=bookmark).ranges:
            read.update(
                i
                for i, (created, delay) in enumerate(log)
                if window.holds(created) and created + delay <= now
            )
            bookmark = window.end
    assert bookmark is not None
    # Entries before the bookmark less the overlap are all read; the newest overlap is
    # completed by later runs: one more run a day later reads everything before the bookmark.
    assert {i for i, (created, _) in enumerate(log) if created < bookmark - OVERLAP} <= read
    later = times[-1] + dt.timedelta(days=1)
    for window in plan_ranges(now=later, start=t0, read_through=bookmark).ranges:
        read.update(
            i
            for i, (created, delay) in enumerate(log)
            if window.holds(created) and created + delay <= later
        )
    assert {i for i, (created, _) in enumerate(log) if created < bookmark} <= read
