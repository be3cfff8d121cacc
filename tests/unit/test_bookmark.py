"""Reading, migrating and moving a stream's bookmark, without a tap."""

from __future__ import annotations

import datetime as dt
import logging
import typing as t

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_langdock import bookmark
from tap_langdock.errors import StateError
from tap_langdock.progress import Progress
from tap_langdock.settings import Settings
from tap_langdock.windows import Grain, Window

LOG = logging.getLogger("test-bookmark")


def settings(**config: t.Any) -> Settings:
    return Settings.from_config({"api_key": "k", "start_date": "2026-01-01", **config})


def through(state: dict[str, t.Any], **config: t.Any) -> dt.date | None:
    return bookmark.exported_through(state, settings(**config), "projects_usage", LOG)


def test_first_run_has_no_bookmark() -> None:
    assert through({}) is None
    assert through({"replication_key_value": None}) is None


def test_current_form() -> None:
    state = {"exported_through": "2026-02-03", "window": "day", "timezone": "UTC"}
    assert through(state) == dt.date(2026, 2, 3)


def test_bare_period_end_restarts_at_its_window(caplog: pytest.LogCaptureFixture) -> None:
    state = {"replication_key_value": "2026-02-18"}
    assert through(state, window="month") == dt.date(2026, 1, 31)
    assert "only period_end 2026-02-18" in caplog.text


@pytest.mark.parametrize(
    ("state", "text"),
    [
        (
            {"exported_through": "2026-02-03", "window": "week", "timezone": "UTC"},
            "written with window=week but the setting is window=day",
        ),
        (
            {"exported_through": "2026-02-03", "window": "day", "timezone": "Europe/Berlin"},
            "written with timezone=Europe/Berlin but the setting is timezone=UTC",
        ),
        (
            {"exported_through": "yesterday", "window": "day", "timezone": "UTC"},
            "exported_through 'yesterday' is not a date",
        ),
        ({"replication_key_value": "soon"}, "bookmark 'soon' is not a date"),
    ],
)
def test_states_that_cannot_continue(state: dict[str, t.Any], text: str) -> None:
    with pytest.raises(StateError, match=text):
        through(state)


@given(
    ends=st.lists(st.dates(dt.date(2025, 1, 1), dt.date(2027, 1, 1)), min_size=1, max_size=20),
    period_ends=st.lists(st.none() | st.dates().map(dt.date.isoformat), min_size=20, max_size=20),
)
def test_advance_never_moves_backwards(ends: list[dt.date], period_ends: list[str | None]) -> None:
    config = settings()
    state: dict[str, t.Any] = {}
    for day, period_end in zip(ends, period_ends, strict=False):
        bookmark.advance(state, Window(day, day, Grain.DAY), period_end, config)
    assert state["exported_through"] == max(ends).isoformat()
    seen = [p for p in period_ends[: len(ends)] if p is not None]
    assert state.get("replication_key_value") == (max(seen) if seen else None)
    assert (state["window"], state["timezone"]) == ("day", "UTC")


def test_end_date_in_the_future_is_cut_to_yesterday(caplog: pytest.LogCaptureFixture) -> None:
    config = settings(end_date="2999-01-01")
    progress = Progress(LOG, "projects_usage", "UTC")
    assert bookmark.last_exportable_day(config, progress) == config.today() - dt.timedelta(days=1)
    bookmark.last_exportable_day(config, progress)
    assert caplog.text.count("is not over yet") == 1
