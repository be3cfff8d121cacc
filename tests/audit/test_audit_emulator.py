"""The emulator's Audit Logs API over real loopback HTTP: paging, bounds, order, retention."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
import requests

from langdock_emulator import Emulator, Fault
from langdock_emulator.audit_log import AuditSettings
from tests.audit.audit_support import AUDIT_NOW, Clock
from tests.support.secrets import TEST_API_KEY

UTC = dt.timezone.utc
DAY = (dt.datetime(2026, 6, 14, tzinfo=UTC), dt.datetime(2026, 6, 15, tzinfo=UTC))
FROM, TO = "2026-06-14T00:00:00.000Z", "2026-06-15T00:00:00.000Z"
# The first answer builds the seeded log (about a second idle, several on a busy machine);
# these tests are about what the API answers, not how fast.
TIMEOUT = 60


def get(
    emu: Emulator, key: str = TEST_API_KEY, workspace: str | None = None, **params: str
) -> requests.Response:
    workspace = workspace or emu.audit.workspace_id
    return requests.get(
        f"{emu.url}/audit-logs/{workspace}",
        params=params,
        headers={"Authorization": f"Bearer {key}"},
        timeout=TIMEOUT,
    )


def every_page(emu: Emulator, **params: str) -> list[list[dict[str, t.Any]]]:
    pages, cursor = [], None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        answer = get(emu, **query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        pages.append(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_a_day_pages_in_fifties_newest_first_and_equals_the_ground_truth(
    emulator: Emulator,
) -> None:
    pages = every_page(emulator, **{"from": FROM, "to": TO})
    entries = [e for page in pages for e in page]
    assert [len(page) for page in pages[:-1]] == [50] * (len(pages) - 1)
    assert len(pages) >= 3
    keys = [(e["created_at"], e["id"]) for e in entries]
    assert keys == sorted(keys, reverse=True)
    # Inclusive bounds by default: the entry exactly at `to` (midnight) comes too.
    truth = emulator.audit.truth(DAY[0], DAY[1] + dt.timedelta(microseconds=1))
    assert sorted(e["id"] for e in entries) == sorted(e["id"] for e in truth)
    assert entries[0]["created_at"] == TO


def test_every_day_has_a_midnight_entry_and_a_tie_at_noon(emulator: Emulator) -> None:
    entries = emulator.audit.truth(*DAY)
    assert entries[0]["created_at"] == FROM
    times = [e["created_at"] for e in entries if e["created_at"].startswith("2026-06-14T12:")]
    assert len(times) != len(set(times))


@pytest.mark.parametrize(
    ("bounds", "at_from", "at_to"),
    [("inclusive", True, True), ("exclusive", False, False), ("half_open", True, False)],
)
def test_bounds_are_a_setting(emulator: Emulator, bounds: str, at_from: bool, at_to: bool) -> None:
    emulator.audit.settings.bounds = bounds
    ids = {e["id"] for page in every_page(emulator, **{"from": FROM, "to": TO}) for e in page}
    (midnight_from,) = [e for e in emulator.audit.truth(*DAY) if e["created_at"] == FROM]
    (midnight_to,) = [
        e
        for e in emulator.audit.truth(DAY[1], DAY[1] + dt.timedelta(seconds=1))
        if e["created_at"] == TO
    ]
    assert (midnight_from["id"] in ids, midnight_to["id"] in ids) == (at_from, at_to)


@pytest.mark.parametrize("cursor", ["id", "offset"])
def test_oldest_first_small_pages_and_either_cursor_give_the_same_entries(
    emulator: Emulator, cursor: str
) -> None:
    emulator.audit.settings.order = "oldest_first"
    emulator.audit.settings.page_size = 7
    emulator.audit.settings.cursor = cursor
    pages = every_page(emulator, **{"from": FROM, "to": TO, "limit": "50"})
    assert {len(page) for page in pages[:-1]} == {7}
    keys = [(e["created_at"], e["id"]) for page in pages for e in page]
    assert keys == sorted(keys)
    assert len(keys) == len(set(keys))


def test_filters_by_entity_type_and_actor(emulator: Emulator) -> None:
    agents = [e for p in every_page(emulator, entity_type="agent", **{"from": FROM}) for e in p]
    assert agents
    assert {e["entity_type"] for e in agents} == {"agent"}
    system = [e for p in every_page(emulator, actor_id="system", **{"from": FROM}) for e in p]
    assert system
    assert {e["actor_type"] for e in system} == {"SYSTEM"}


def test_entries_show_up_late_and_leave_after_90_days(emulator: Emulator, clock: Clock) -> None:
    late = [e for e in emulator.audit.data.between(*DAY) if e.lateness > 0.5]
    assert late
    entry = late[0]
    clock.now = entry.created_at + dt.timedelta(seconds=1)
    assert entry.id not in {e["id"] for e in emulator.audit.truth(*DAY)}
    clock.now = entry.created_at + dt.timedelta(minutes=10)
    assert entry.id in {e["id"] for e in emulator.audit.truth(*DAY)}
    clock.now = DAY[0] + dt.timedelta(days=90, hours=12)
    remaining = emulator.audit.truth(*DAY)
    assert remaining
    assert min(e["created_at"] for e in remaining) >= "2026-06-14T12:00"


def test_zone_less_times_are_read_in_the_servers_local_time(emulator: Emulator) -> None:
    utc = every_page(emulator, **{"from": "2026-06-14T10:00:00Z", "to": "2026-06-14T11:00:00Z"})
    local = every_page(emulator, **{"from": "2026-06-14T12:00:00", "to": "2026-06-14T13:00:00"})
    assert utc == local  # Berlin is UTC+2 in June


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "51"}, "limit must be an integer between 1 and 50"),
        ({"limit": "0"}, "limit must be an integer between 1 and 50"),
        ({"from": "14.06.2026"}, "Invalid 'from' date"),
        ({"from": TO, "to": FROM}, "'from' must not be after 'to'"),
        ({"cursor": "al_nope"}, "Invalid cursor"),
    ],
)
def test_bad_parameters_are_400(emulator: Emulator, params: dict[str, str], message: str) -> None:
    answer = get(emulator, **params)
    assert answer.status_code == 400
    assert message in answer.json()["message"]


def test_keys_scopes_and_workspaces(emulator: Emulator) -> None:
    assert get(emulator, key="ld-wrong-SECRET-000000").status_code == 401
    mismatch = get(emulator, workspace="another-workspace")
    assert mismatch.status_code == 403
    assert "does not belong to this workspace" in mismatch.json()["message"]
    emulator.audit.settings.api_key = "ld-audit-only-SECRET-abcdef"
    no_scope = get(emulator)  # the usage export key, now without the audit scope
    assert no_scope.status_code == 403
    assert "AUDIT_LOG_API" in no_scope.json()["message"]
    assert get(emulator, key="ld-audit-only-SECRET-abcdef").status_code == 200


def test_served_under_api_public_and_get_only(emulator: Emulator) -> None:
    headers = {"Authorization": f"Bearer {TEST_API_KEY}"}
    route = f"/audit-logs/{emulator.audit.workspace_id}"
    answer = requests.get(f"{emulator.url}/api/public{route}", headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 200
    assert (
        requests.post(f"{emulator.url}{route}", headers=headers, timeout=TIMEOUT).status_code == 405
    )


def test_faults_and_the_request_log(emulator: Emulator) -> None:
    emulator.audit.add_fault(Fault("rate_limit", retry_after=3))
    emulator.audit.add_fault(Fault("server_error", status=503))
    emulator.audit.add_fault(Fault("forbidden"))
    first, second, third = get(emulator), get(emulator), get(emulator)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "3")
    assert second.status_code == 503
    assert "text/html" in second.headers["Content-Type"]
    assert third.status_code == 403
    assert get(emulator).status_code == 200
    assert [r.status for r in emulator.audit.requests] == [429, 503, 403, 200]
    with pytest.raises(ValueError, match="audit routes take"):
        emulator.audit.add_fault(Fault("expired_url"))


def test_reset_restores_settings_and_clears_the_log(emulator: Emulator) -> None:
    emulator.audit.settings.order = "oldest_first"
    get(emulator)
    emulator.reset()
    assert emulator.audit.settings == AuditSettings()
    assert emulator.audit.requests == []


def test_the_log_is_the_same_for_the_same_seed() -> None:
    with Emulator(seed=7) as one, Emulator(seed=7) as two, Emulator(seed=8) as other:
        for emu in (one, two, other):
            emu.audit.clock = lambda: AUDIT_NOW
        assert one.audit.truth(*DAY) == two.audit.truth(*DAY)
        assert one.audit.truth(*DAY) != other.audit.truth(*DAY)
