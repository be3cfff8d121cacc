"""Window arithmetic: windows tile any range exactly, across runs, in every grain."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_langdock.windows import Grain, Window, plan_windows, window_containing

days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))
grains = st.sampled_from(list(Grain))


@given(day=days, grain=grains)
def test_window_contains_its_day_and_is_aligned(day: dt.date, grain: Grain) -> None:
    window = window_containing(day, grain)
    assert window.start <= day <= window.end
    if grain is Grain.DAY:
        assert window.start == window.end == day
    elif grain is Grain.WEEK:
        assert window.start.isoweekday() == 1
        assert (window.end - window.start).days == 6
    else:
        assert window.start.day == 1
        assert (window.end + dt.timedelta(days=1)).day == 1
        assert window.start.month == window.end.month


@given(day=days, grain=grains)
def test_next_and_previous_are_adjacent_and_inverse(day: dt.date, grain: Grain) -> None:
    window = window_containing(day, grain)
    assert window.next().start == window.end + dt.timedelta(days=1)
    assert window.previous().end == window.start - dt.timedelta(days=1)
    assert window.next().previous() == window
    assert window.previous().next() == window


@given(start=days, length=st.integers(0, 800), grain=grains)
def test_plan_tiles_the_range_without_gap_or_overlap(
    start: dt.date, length: int, grain: Grain
) -> None:
    end = start + dt.timedelta(days=length)
    plan = plan_windows(
        grain=grain, start_date=start, end_date=end, exported_through=None, lookback_windows=3
    )
    windows = plan.windows
    if windows:
        assert windows[0] == window_containing(start, grain)
        assert windows[-1].end <= end
        assert windows[-1].next().end > end
        for earlier, later in itertools.pairwise(windows):
            assert later.start == earlier.end + dt.timedelta(days=1)
    else:
        assert window_containing(start, grain).end > end
    assert plan.lookback == ()


@settings(max_examples=300)
@given(
    start=days,
    grain=grains,
    lookback=st.integers(0, 4),
    steps=st.lists(st.integers(0, 70), min_size=1, max_size=8),
)
def test_runs_request_every_window_once_plus_lookback(
    start: dt.date, grain: Grain, lookback: int, steps: list[int]
) -> None:
    """Across any sequence of runs, every window is requested; repeats are only lookback."""
    requested: list[Window] = []
    through: dt.date | None = None
    end = start
    for step in steps:
        end = end + dt.timedelta(days=step)
        plan = plan_windows(
            grain=grain,
            start_date=start,
            end_date=end,
            exported_through=through,
            lookback_windows=lookback,
        )
        if through is not None and plan.windows:
            fresh = [w for w in plan.windows if w.start > through]
            again = [w for w in plan.windows if w.end <= through]
            assert list(plan.lookback) == again
            assert len(again) <= lookback
            assert plan.windows == (*again, *fresh)
        requested.extend(plan.windows)
        if plan.windows:
            through = max(through or plan.windows[-1].end, plan.windows[-1].end)
    expected = plan_windows(
        grain=grain, start_date=start, end_date=end, exported_through=None, lookback_windows=0
    ).windows
    assert sorted(set(requested)) == list(expected)
    if lookback == 0:
        assert len(requested) == len(expected)


def test_lookback_never_reaches_before_start_date() -> None:
    plan = plan_windows(
        grain=Grain.DAY,
        start_date=dt.date(2024, 1, 10),
        end_date=dt.date(2024, 1, 12),
        exported_through=dt.date(2024, 1, 11),
        lookback_windows=5,
    )
    assert [str(w) for w in plan.windows] == ["2024-01-10", "2024-01-11", "2024-01-12"]


def test_a_later_start_date_wins_over_an_older_bookmark() -> None:
    plan = plan_windows(
        grain=Grain.DAY,
        start_date=dt.date(2024, 3, 1),
        end_date=dt.date(2024, 3, 2),
        exported_through=dt.date(2024, 1, 31),
        lookback_windows=1,
    )
    assert [str(w) for w in plan.windows] == ["2024-03-01", "2024-03-02"]


@pytest.mark.parametrize(
    ("grain", "day", "expected"),
    [
        (Grain.DAY, dt.date(2024, 3, 31), ("2024-03-31T00:00:00.000", "2024-03-31T23:59:59.999")),
        (Grain.WEEK, dt.date(2024, 1, 3), ("2024-01-01T00:00:00.000", "2024-01-07T23:59:59.999")),
        (Grain.MONTH, dt.date(2024, 2, 10), ("2024-02-01T00:00:00.000", "2024-02-29T23:59:59.999")),
    ],
)
def test_request_range_is_wall_clock_without_offset(
    grain: Grain, day: dt.date, expected: tuple[str, str]
) -> None:
    assert window_containing(day, grain).request_range() == expected
