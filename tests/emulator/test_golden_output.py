"""The emulator's output, byte for byte, as it was before it was split into rooms.

`golden_digests.json` holds SHA-256 digests of what a real running `Emulator` answers over
HTTP for a fixed set of cases: every export type and group_by, windows in several time zones
(DST days included), privacy/BYOK/BOM/extra-column/plain-name/quiet-day/bulk workspaces, the
``/json`` route, bad requests and audit-log pages with different orders, page sizes, bounds and
cursors. A refactoring that changes one byte of one answer fails here.

Signed URLs carry random and time-dependent parts, so the envelope is digested without its
``downloadUrl``; the CSV behind it is digested as downloaded.

Regenerate (only when a change of output is intended) with
``python -m tests.emulator.test_golden_output --write``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from langdock_emulator import Emulator, WorkspaceSettings

FIXTURE = Path(__file__).with_name("golden_digests.json")
API_KEY = "golden-key"
AUDIT_NOW = dt.datetime(2026, 5, 10, 12, 0, 0, tzinfo=dt.timezone.utc)
_TYPES = ("users", "assistants", "agents", "projects", "api-keys", "models", "workflows")
_GROUPS: dict[str, tuple[str | None, ...]] = {
    "users": (None, "model"),
    "assistants": (None, "model"),
    "agents": (None, "model"),
    "api-keys": (None, "model"),
    "models": (None, "source", "deployment"),
}
# (from, to, timezone): a UTC day, two DST-change days, a +05:30 week, a part of a day.
_WINDOWS = (
    ("2024-01-01T00:00:00.000", "2024-01-01T23:59:59.999", "UTC"),
    ("2024-03-31T00:00:00.000", "2024-03-31T23:59:59.999", "Europe/Berlin"),
    ("2024-11-03T00:00:00.000", "2024-11-03T23:59:59.999", "America/New_York"),
    ("2024-01-01T00:00:00.000", "2024-01-07T23:59:59.999", "Asia/Kolkata"),
    ("2024-01-02T09:15:00.000", "2024-01-02T17:44:59.999", "Europe/Berlin"),
)
_WORKSPACES: dict[str, dict[str, Any]] = {
    "default": {},
    "privacy": {"privacy": True},
    "byok": {"byok": True},
    "bom-extra-plain": {"bom": True, "extra_column": True, "tricky_names": False},
    "quiet-small": {"quiet_days": {"2024-01-01"}, "entities": {"users": 3, "projects": 0}},
    "bulk": {"bulk_rows": 25},
}
_BAD_BODIES: tuple[object, ...] = (
    {"from": {"date": "2024-01-02T00:00:00", "timezone": "UTC"}},
    {
        "from": {"date": "2024-01-02T00:00:00", "timezone": "Mars/Olympus"},
        "to": {"date": "2024-01-02T10:00:00", "timezone": "UTC"},
    },
    {
        "from": {"date": "2024-01-03T00:00:00", "timezone": "UTC"},
        "to": {"date": "2024-01-02T00:00:00", "timezone": "UTC"},
    },
    [1, 2],
)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _body(window: tuple[str, str, str], group_by: str | None) -> dict[str, Any]:
    start, end, zone = window
    body: dict[str, Any] = {
        "from": {"date": start, "timezone": zone},
        "to": {"date": end, "timezone": zone},
    }
    if group_by is not None:
        body["group_by"] = group_by
    return body


def _export(session: requests.Session, url: str, route: str, body: object) -> dict[str, Any]:
    """Status and digests of one export answer (and of its CSV, when there is one)."""
    response = session.post(f"{url}{route}", data=json.dumps(body), timeout=30)
    result: dict[str, Any] = {"status": response.status_code}
    payload = response.json() if response.status_code == 200 else None
    data = payload.get("data") if isinstance(payload, dict) else None
    if isinstance(data, dict) and "downloadUrl" in data:
        download_url = data.pop("downloadUrl")
        result["envelope"] = _digest(json.dumps(payload, sort_keys=True).encode())
        csv = session.get(download_url, timeout=30)
        result["csv_status"] = csv.status_code
        result["csv"] = _digest(csv.content)
    else:
        result["body"] = _digest(response.content)
    return result


def _usage_cases(workspace: str) -> Iterator[tuple[str, str, object]]:
    windows = _WINDOWS if workspace == "default" else _WINDOWS[:2]
    for export_type in _TYPES:
        for group_by in _GROUPS.get(export_type, (None,)):
            for index, window in enumerate(windows):
                body = _body(window, group_by)
                name = f"{workspace}/{export_type}/{group_by}/w{index}"
                yield f"{name}/csv", f"/export/{export_type}", body
                if index < 2:
                    yield f"{name}/json", f"/api/public/export/{export_type}/json", body
    if workspace == "default":
        for index, bad in enumerate(_BAD_BODIES):
            yield f"bad/{index}", "/export/users", bad
        yield "bad/group", "/export/projects", _body(_WINDOWS[0], "model")
        yield "bad/type", "/export/nonsense", _body(_WINDOWS[0], None)


def usage_digests(seed: int = 7) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for workspace, overrides in _WORKSPACES.items():
        with Emulator(API_KEY, seed, settings=WorkspaceSettings(**overrides)) as emu:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {API_KEY}"
            for name, route, body in _usage_cases(workspace):
                results[name] = _export(session, emu.url, route, body)
            for export_type in ("users", "models"):
                entities = session.get(f"{emu.url}/_emulator/entities/{export_type}", timeout=30)
                results[f"{workspace}/entities/{export_type}"] = _digest(entities.content)
            if workspace == "default":
                results.update(_edge_routes(emu.url))
    return results


def _edge_routes(url: str) -> dict[str, Any]:
    """Answers that never reach the data: no key, wrong method, unknown route."""
    body = json.dumps(_body(_WINDOWS[0], None))
    answers = {
        "edge/no-key": requests.post(f"{url}/export/users", data=body, timeout=30),
        "edge/get-export": requests.get(f"{url}/export/users", timeout=30),
        "edge/no-route": requests.get(f"{url}/nothing/here", timeout=30),
        "edge/bad-signature": requests.get(
            f"{url}/storage/abc.csv?expires=1&signature=x", timeout=30
        ),
    }
    return {
        name: {"status": answer.status_code, "body": _digest(answer.content)}
        for name, answer in answers.items()
    }


_AUDIT_SETTINGS: dict[str, dict[str, Any]] = {
    "default": {},
    "oldest-7-offset": {"order": "oldest_first", "page_size": 7, "cursor": "offset"},
    "exclusive-id-13": {"bounds": "exclusive", "page_size": 13},
    "half-open-late": {"bounds": "half_open", "late_max_seconds": 7200.0},
}
_AUDIT_QUERIES: dict[str, dict[str, str]] = {
    "all": {},
    "limit-10": {"limit": "10"},
    "day": {"from": "2026-05-09T00:00:00.000Z", "to": "2026-05-10T00:00:00.000Z", "limit": "50"},
    "hours": {"from": "2026-05-10T06:00:00Z", "to": "2026-05-10T11:55:00Z", "limit": "9"},
    "agents": {"entity_type": "agent", "limit": "20"},
    "bad-limit": {"limit": "500"},
    "bad-range": {"from": "2026-05-10T00:00:00Z", "to": "2026-05-09T00:00:00Z"},
}


def audit_digests(seed: int = 7) -> dict[str, Any]:
    """Up to four pages per query, following ``next_cursor``, for each audit setting."""
    results: dict[str, Any] = {}
    with Emulator(API_KEY, seed) as emu:
        emu.audit.clock = lambda: AUDIT_NOW
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {API_KEY}"
        route = f"{emu.url}/audit-logs/{emu.audit.workspace_id}"
        for setting, overrides in _AUDIT_SETTINGS.items():
            emu.audit.reset()
            for field, value in overrides.items():
                setattr(emu.audit.settings, field, value)
            for name, query in _AUDIT_QUERIES.items():
                params = dict(query)
                for page in range(4):
                    response = session.get(f"{route}?{urlencode(params)}", timeout=30)
                    key = f"audit/{setting}/{name}/p{page}"
                    results[key] = {
                        "status": response.status_code,
                        "body": _digest(response.content),
                    }
                    cursor = response.json().get("next_cursor") if response.ok else None
                    if not cursor:
                        break
                    params["cursor"] = cursor
        results["audit/wrong-workspace"] = _digest(
            session.get(f"{emu.url}/audit-logs/not-this-one", timeout=30).content
        )
    return results


def all_digests() -> dict[str, Any]:
    return {"usage": usage_digests(), "audit": audit_digests()}


def test_same_seeds_give_byte_identical_answers() -> None:
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))
    actual = all_digests()
    for part in ("usage", "audit"):
        assert actual[part].keys() == expected[part].keys()
        changed = [name for name in expected[part] if actual[part][name] != expected[part][name]]
        assert not changed, f"{len(changed)} {part} answers changed, first: {changed[:5]}"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python -m tests.emulator.test_golden_output --write")
    FIXTURE.write_text(json.dumps(all_digests(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE}")
