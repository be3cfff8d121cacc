"""What every answer of the Workflow API means, and the query of a page (no I/O)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_langdock.paging import Malformed, Retry
from tap_langdock.workflow.protocol import (
    Kind,
    Page,
    Refused,
    TooLarge,
    classify,
    parse_page,
    runs_query,
)

UTC = dt.timezone.utc
WHERE = "workflow_runs, workflow wf_1"


def _body(payload: object) -> bytes:
    return json.dumps(payload).encode()


def _runs(count: int) -> list[dict[str, str]]:
    return [{"id": f"r{i}"} for i in range(count)]


PAGING = [
    pytest.param({"runs": _runs(2), "nextCursor": "r1"}, "r1", id="camelCase cursor"),
    pytest.param({"runs": _runs(2), "next_cursor": "r1"}, "r1", id="snake_case cursor"),
    pytest.param({"runs": _runs(2), "nextCursor": None}, None, id="null cursor: last page"),
    pytest.param({"runs": _runs(2), "nextCursor": ""}, None, id="empty cursor: last page"),
    pytest.param({"runs": _runs(2)}, None, id="no cursor on a short page: last page"),
    pytest.param({"runs": _runs(3), "hasMore": False}, None, id="hasMore false on a full page"),
    pytest.param({"data": _runs(2), "has_more": True, "next_cursor": 7}, "7", id="numbers"),
    pytest.param({"runs": [], "nextCursor": None}, None, id="no runs"),
]


@pytest.mark.parametrize(("document", "cursor"), PAGING)
def test_paging_styles(document: dict[str, object], cursor: str | None) -> None:
    page = parse_page(_body(document), Kind.RUNS, limit=3)
    assert isinstance(page, Page)
    assert page.next_cursor == cursor


MALFORMED = [
    pytest.param(b"<html>", "not JSON", id="html"),
    pytest.param(_body([1]), "not an object", id="a list"),
    pytest.param(_body({"workflows": []}), "no runs list", id="the wrong list"),
    pytest.param(_body({"runs": [1]}), "not objects", id="items not objects"),
    pytest.param(_body({"runs": _runs(3)}), "full page without a next cursor", id="full page"),
    pytest.param(_body({"runs": _runs(1), "hasMore": True}), "no next cursor", id="more, no key"),
    pytest.param(_body({"runs": _runs(1), "hasMore": "yes"}), "not true or false", id="flag"),
    pytest.param(_body({"runs": _runs(1), "nextCursor": {}}), "not text", id="cursor object"),
]


@pytest.mark.parametrize(("body", "reason"), MALFORMED)
def test_what_is_not_a_page(body: bytes, reason: str) -> None:
    outcome = parse_page(body, Kind.RUNS, limit=3)
    assert isinstance(outcome, Malformed)
    assert reason in outcome.reason


def test_raw_control_characters_inside_strings_are_read() -> None:
    body = b'{"runs": [{"id": "r1", "error": "a\tb\nc\x0bd\x07"}], "nextCursor": null}'
    page = parse_page(body, Kind.RUNS, limit=50)
    assert isinstance(page, Page)
    assert page.items[0]["error"] == "a\tb\nc\x0bd\x07"


@given(st.text(alphabet=st.characters(exclude_characters='"\\', exclude_categories=["Cs"])))
def test_any_text_with_raw_control_characters_is_read_as_sent(text: str) -> None:
    body = ('{"runs": [{"id": "r", "error": "' + text + '"}], "nextCursor": null}').encode()
    page = parse_page(body, Kind.RUNS, limit=50)
    assert isinstance(page, Page)
    assert page.items[0]["error"] == text


REFUSED = [
    (Kind.RUNS, 401, "rejected the workflow key (HTTP 401: Unauthorized: bad key)"),
    (Kind.RUNS, 403, "refused this workflow's runs (HTTP 403: Unauthorized: bad key)"),
    (Kind.RUNS, 404, "no longer knows this workflow"),
    (Kind.WORKFLOWS, 403, "needs the WORKFLOW_API scope"),
    (Kind.WORKFLOWS, 404, "check api_url"),
    (Kind.RUNS, 418, "unexpected HTTP 418 from Langdock: Unauthorized: bad key"),
]


@pytest.mark.parametrize(("kind", "status", "text"), REFUSED)
def test_refusals_say_what_to_do(kind: Kind, status: int, text: str) -> None:
    body = _body({"error": "Unauthorized", "message": "bad key"})
    outcome = classify(status, body, None, kind=kind, where=WHERE, limit=50)
    assert isinstance(outcome, Refused)
    assert outcome.message.startswith(f"{WHERE}: ")
    assert text in outcome.message


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503])
def test_retried_statuses_keep_retry_after(status: int) -> None:
    outcome = classify(status, b"", 7.0, kind=Kind.RUNS, where=WHERE, limit=50)
    assert outcome == Retry(f"HTTP {status} from Langdock", 7.0)


def test_a_body_over_the_cap_asks_for_fewer() -> None:
    assert classify(200, None, None, kind=Kind.RUNS, where=WHERE, limit=50) == TooLarge()


def test_the_runs_query_is_at_least_as_wide_as_the_range_and_names_its_zone() -> None:
    start = dt.datetime(2026, 6, 10, 0, 0, 0, 123_456, tzinfo=UTC)
    end = dt.datetime(2026, 6, 15, 2, 58, 45, 1, tzinfo=UTC)
    query = dict(runs_query("wf_1", start, end, "r9", 100))
    assert query == {
        "workflowId": "wf_1",
        "from": "2026-06-10T00:00:00.123Z",
        "to": "2026-06-15T02:58:45.001Z",
        "limit": "100",
        "cursor": "r9",
    }
