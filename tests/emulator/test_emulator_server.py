"""HTTP behaviour of the emulator, exercised over loopback with requests."""

from __future__ import annotations

import datetime as dt
import gzip
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from langdock_emulator import Emulator, WorkspaceSettings
from langdock_emulator.columns import BYOK_COLUMNS, COLUMNS, PRIVACY_COLUMNS, columns_for

Export = Callable[..., requests.Response]
FetchRows = Callable[..., list[dict[str, str]]]
UTC = dt.timezone.utc
TYPES = ["users", "assistants", "agents", "api-keys", "projects", "models", "workflows"]


def _utc(day: str, timezone: str, end: bool = False) -> dt.datetime:
    local = dt.datetime.fromisoformat(day + ("T23:59:59.999" if end else "T00:00:00"))
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


@pytest.mark.parametrize("prefix", ["", "/api/public"])
@pytest.mark.parametrize("route", ["", "/csv"])
def test_csv_routes_return_envelope_and_expected_rows(
    emu: Emulator, export: Export, parse_csv: Any, prefix: str, route: str
) -> None:
    response = export("projects", prefix=prefix, route=route)
    assert response.status_code == 200
    envelope = response.json()
    data = envelope["data"]
    assert envelope["success"] is True
    assert data["dataType"] == "projects"
    assert data["filePath"].startswith(f"projects-usage/{emu.data.org_id}/projects-usage-")
    assert data["filePath"].endswith(".csv")
    assert data["dateRange"] == {
        "from": "2024-01-01T00:00:00.000+00:00",
        "to": "2024-01-01T23:59:59.999+00:00",
    }
    assert data["downloadUrl"].startswith(f"{emu.url}/storage/")
    download = requests.get(data["downloadUrl"], timeout=10)
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert int(download.headers["Content-Length"]) == len(download.content)
    assert b"\r\n" in download.content
    rows = parse_csv(download.content)
    assert rows == emu.expected_rows("projects")
    assert data["recordCount"] == len(rows) > 0
    assert emu.export_requests[-1].route == f"{prefix}/export/projects{route}"


@pytest.mark.parametrize("export_type", TYPES)
def test_every_type_matches_expected_rows_and_columns(
    emu: Emulator, fetch_rows: FetchRows, export_type: str
) -> None:
    rows = fetch_rows(export_type)
    assert rows == emu.expected_rows(export_type)
    assert list(rows[0]) == COLUMNS[export_type]


def test_json_route_returns_typed_rows_inline(emu: Emulator, export: Export) -> None:
    response = export("users", prefix="/api/public", route="/json")
    payload = response.json()
    expected = emu.expected_rows("users")
    assert payload["success"] is True
    assert payload["metadata"] == {"dataType": "users", "recordCount": len(expected)}
    first = payload["data"][0]
    assert first["user_id"] == expected[0]["user_id"]
    assert first["messages_total"] == int(expected[0]["messages_total"])
    assert isinstance(first["model_to_messages_total"], dict)
    assert export("api-keys", route="/json").json()["metadata"]["dataType"] == "api_keys"


def test_agents_is_an_alias_of_assistants(fetch_rows: FetchRows, export: Export) -> None:
    assert fetch_rows("agents") == fetch_rows("assistants")
    assert export("agents").json()["data"]["dataType"] == "agents"
    assert export("assistants").json()["data"]["dataType"] == "assistants"


def test_auth_missing_and_wrong_key(emu: Emulator, day_body: Any) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        response = requests.post(
            f"{emu.url}/export/users", json=day_body(), headers=headers, timeout=10
        )
        assert response.status_code == 401
        assert response.json() == {
            "error": "Unauthorized",
            "message": "Invalid or missing API key",
        }
    assert [e.authorized for e in emu.export_requests] == [False, False, False]


def test_unknown_type_and_route(emu: Emulator, export: Export, client: requests.Session) -> None:
    response = export("teams")
    assert response.status_code == 404
    assert response.json()["error"] == "Not Found"
    assert client.post(f"{emu.url}/nothing-here", json={}, timeout=10).status_code == 404
    assert client.get(f"{emu.url}/export/users", timeout=10).status_code == 405


def test_trailing_z_is_stripped_not_applied(export: Export, day_body: Any) -> None:
    with_z = export("users", day_body(timezone="Europe/Berlin")).json()["data"]
    body = day_body(timezone="Europe/Berlin")
    body["from"]["date"] = "2024-01-01T00:00:00.000"
    body["to"]["date"] = "2024-01-01T23:59:59.999"
    without_z = export("users", body).json()["data"]
    assert with_z["recordCount"] == without_z["recordCount"]
    assert with_z["dateRange"] == {
        "from": "2024-01-01T00:00:00.000+01:00",
        "to": "2024-01-01T23:59:59.999+01:00",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date", "2024-01-01T00:00:00.000+01:00", "offsets are not supported"),
        ("date", "2024-01-01T00:00:00-05:00", "offsets are not supported"),
        ("date", "01/01/2024", "Invalid date format"),
        ("date", "2024-02-30T00:00:00", "Invalid date format"),
        ("timezone", "Mars/Olympus_Mons", "Invalid timezone"),
        ("timezone", "", "Invalid timezone"),
    ],
)
def test_bad_dates_and_zones_are_400(
    export: Export, day_body: Any, field: str, value: str, message: str
) -> None:
    body = day_body()
    body["from"][field] = value
    response = export("users", body)
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    assert message in response.json()["message"]


def test_reversed_range_and_bad_bodies_are_400(
    emu: Emulator, export: Export, client: requests.Session
) -> None:
    body = {
        "from": {"date": "2024-01-02T00:00:00.000Z", "timezone": "UTC"},
        "to": {"date": "2024-01-01T00:00:00.000Z", "timezone": "UTC"},
    }
    response = export("users", body)
    assert response.status_code == 400
    assert response.json() == {"error": "Bad Request", "message": "Invalid date range"}
    assert export("users", {"from": {"date": "2024-01-01"}}).status_code == 400
    raw = client.post(f"{emu.url}/export/users", data=b"{nope", timeout=10)
    assert raw.status_code == 400


@pytest.mark.parametrize(
    ("timezone", "period"),
    [
        ("UTC", ("2024-01-01", "2024-01-01")),
        ("Europe/Berlin", ("2023-12-31", "2024-01-01")),
        ("America/Los_Angeles", ("2024-01-01", "2024-01-02")),
    ],
)
def test_period_dates_are_utc_dates_of_the_window(
    emu: Emulator, fetch_rows: FetchRows, day_body: Any, timezone: str, period: tuple[str, str]
) -> None:
    rows = fetch_rows("users", day_body(timezone=timezone))
    assert {(r["period_start"], r["period_end"]) for r in rows} == {period}
    assert rows == emu.expected_rows("users", timezone=timezone)


@pytest.mark.parametrize(
    ("day", "timezone"),
    [
        ("2024-01-01", "UTC"),
        ("2024-01-01", "Europe/Berlin"),
        ("2024-03-31", "Europe/Berlin"),
        ("2024-10-27", "Europe/Berlin"),
        ("2024-03-10", "America/Los_Angeles"),
        ("2024-06-15", "Asia/Kathmandu"),
    ],
)
def test_ground_truth_equals_csv_counts(
    emu: Emulator, fetch_rows: FetchRows, day_body: Any, day: str, timezone: str
) -> None:
    start, end = _utc(day, timezone), _utc(day, timezone, end=True)
    for export_type, id_column, count_column in [
        ("projects", "project_id", "messages"),
        ("users", "user_id", "messages_total"),
        ("api-keys", "api_key_id", "requests"),
    ]:
        rows = fetch_rows(export_type, day_body(day, timezone))
        seen = {r[id_column]: int(r[count_column]) for r in rows}
        for entity_id in emu.entity_ids(export_type):
            truth = emu.ground_truth_messages(export_type, entity_id, start, end)
            assert seen.get(entity_id, 0) == truth, (export_type, entity_id)


def test_ground_truth_for_an_odd_multi_day_window(emu: Emulator, fetch_rows: FetchRows) -> None:
    body = {
        "from": {"date": "2024-01-01T10:07:13.500", "timezone": "Asia/Kolkata"},
        "to": {"date": "2024-01-03T13:52:30.000", "timezone": "Asia/Kolkata"},
    }
    zone = ZoneInfo("Asia/Kolkata")
    start = dt.datetime(2024, 1, 1, 10, 7, 13, 500000, tzinfo=zone)
    end = dt.datetime(2024, 1, 3, 13, 52, 30, tzinfo=zone)
    rows = fetch_rows("workflows", body)
    for row in rows:
        truth = emu.ground_truth_messages("workflows", row["workflow_id"], start, end)
        assert int(row["runs"]) == truth
    models = fetch_rows("models", body)
    for row in models:
        assert int(row["requests"]) == emu.ground_truth_messages("models", row["name"], start, end)


def test_quiet_day_gives_404_and_zero_truth(emu: Emulator, export: Export) -> None:
    emu.settings.quiet_days = {"2024-01-01"}
    response = export("users")
    assert response.status_code == 404
    assert response.json() == {
        "error": "No data found",
        "message": "No usage data found for the selected period",
    }
    user = emu.entity_ids("users")[0]
    start, end = _utc("2024-01-01", "UTC"), _utc("2024-01-01", "UTC", end=True)
    assert emu.ground_truth_messages("users", user, start, end) == 0
    assert export("users", route="/json").status_code == 404


GROUPS = [
    ("users", "model", "user_id", "messages_total"),
    ("agents", "model", "assistant_id", "messages"),
    ("assistants", "model", "assistant_id", "messages"),
    ("api-keys", "model", "api_key_id", "requests"),
    ("models", "source", "name", "requests"),
]


@pytest.mark.parametrize("case", GROUPS, ids=[f"{t}-{g}" for t, g, _, _ in GROUPS])
def test_grouped_counts_sum_to_ungrouped(
    emu: Emulator, fetch_rows: FetchRows, day_body: Any, case: tuple[str, str, str, str]
) -> None:
    export_type, group_by, key, count = case
    grouped = fetch_rows(export_type, day_body(group_by=group_by))
    header = list(grouped[0])
    assert header == columns_for(export_type, group_by=group_by)
    sums: Counter[str] = Counter()
    for row in grouped:
        sums[row[key]] += int(row[count])
    plain = {r[key]: int(r[count]) for r in fetch_rows(export_type)}
    assert dict(sums) == plain
    assert grouped == emu.expected_rows(export_type, group_by=group_by)


@pytest.mark.parametrize(
    ("export_type", "group_by"),
    [
        ("projects", "model"),
        ("workflows", "model"),
        ("users", "source"),
        ("api-keys", "deployment"),
        ("models", "model"),
        ("models", "deployment"),
        ("users", "MODEL"),
    ],
)
def test_unsupported_group_by_is_400(
    export: Export, day_body: Any, export_type: str, group_by: str
) -> None:
    response = export(export_type, day_body(group_by=group_by))
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
    prefix = f"Unsupported group_by '{group_by}' for {export_type}. "
    assert response.json()["message"].startswith(prefix)


def test_deployment_grouping_needs_byok(
    emu: Emulator, fetch_rows: FetchRows, day_body: Any
) -> None:
    emu.settings.byok = True
    rows = fetch_rows("models", day_body(group_by="deployment"))
    assert {r["deployment"] for r in rows} <= {
        "azure-eu-1",
        "openai-direct",
        "bedrock-eu-central-1",
    }
    by_model: Counter[str] = Counter()
    for row in rows:
        by_model[row["name"]] += int(row["requests"])
    start, end = _utc("2024-01-01", "UTC"), _utc("2024-01-01", "UTC", end=True)
    for name, total in by_model.items():
        assert emu.ground_truth_messages("models", name, start, end) == total


def test_privacy_drops_columns_and_private_workflows(
    emu: Emulator, fetch_rows: FetchRows, day_body: Any
) -> None:
    week = {
        "from": {"date": "2024-01-01T00:00:00.000", "timezone": "UTC"},
        "to": {"date": "2024-01-07T23:59:59.999", "timezone": "UTC"},
    }
    open_rows = fetch_rows("workflows", week)
    emu.settings.privacy = True
    for export_type in ("projects", "users", "agents", "workflows"):
        rows = fetch_rows(export_type, week)
        assert not PRIVACY_COLUMNS[export_type] & set(rows[0]), export_type
    private_rows = fetch_rows("workflows", week)
    assert 0 < len(private_rows) < len(open_rows)
    assert fetch_rows("users") == emu.expected_rows("users")


def test_byok_adds_columns_and_splits_models(emu: Emulator, fetch_rows: FetchRows) -> None:
    emu.settings.byok = True
    for export_type in TYPES:
        header = list(fetch_rows(export_type)[0])
        assert header == COLUMNS[export_type] + BYOK_COLUMNS[export_type]
    models = fetch_rows("models")
    states = Counter(r["name"] for r in models)
    assert {r["bring_your_keys"] for r in models} == {"true", "false"}
    assert max(states.values()) == 2
    emu.settings.byok = False
    assert {r["bring_your_keys"] for r in fetch_rows("models")} == {"false"}


def test_extra_column_is_third_from_last(emu: Emulator, fetch_rows: FetchRows) -> None:
    emu.settings.extra_column = True
    for export_type in ("projects", "users", "models"):
        header = list(fetch_rows(export_type)[0])
        assert header[-3] == "beta_metric"
        assert all(r["beta_metric"].isdigit() for r in fetch_rows(export_type))


def test_bom_and_gzip(emu: Emulator, export: Export, parse_csv: Any) -> None:
    emu.settings.bom = True
    emu.settings.gzip = True
    url = export("projects").json()["data"]["downloadUrl"]
    raw = requests.get(url, stream=True, timeout=10)
    assert raw.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(raw.raw.read())
    assert body.startswith(b"\xef\xbb\xbfperiod_start,")
    decoded = requests.get(url, timeout=10)
    assert decoded.content == body
    assert parse_csv(decoded.content) == emu.expected_rows("projects")


def test_tricky_names_survive_csv_quoting(emu: Emulator, fetch_rows: FetchRows) -> None:
    week = {
        "from": {"date": "2024-01-01T00:00:00", "timezone": "UTC"},
        "to": {"date": "2024-01-14T23:59:59.999", "timezone": "UTC"},
    }
    names = [r["project_name"] for r in fetch_rows("projects", week)]
    names += [r["name"] for r in fetch_rows("users", week)]
    joined = "".join(names)
    for fragment in (",", '"', "\n", "\r\n", "Ü", "日本語"):
        assert fragment in joined, fragment
    emu.settings.tricky_names = False
    plain = "".join(r["project_name"] for r in fetch_rows("projects", week))
    assert not any(ch in plain for ch in ',"\n')


def test_signed_url_expiry_tamper_and_missing(
    emu: Emulator, export: Export, client: requests.Session
) -> None:
    emu.settings.url_ttl_seconds = 0.3
    url = export("projects").json()["data"]["downloadUrl"]
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    forbidden = requests.get(tampered, timeout=10)
    assert forbidden.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in forbidden.text
    assert requests.get(url.split("?")[0], timeout=10).status_code == 403
    assert requests.get(url, timeout=10).status_code == 200
    time.sleep(0.45)
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403
    assert "<Message>Request has expired</Message>" in expired.text
    emu.settings.url_ttl_seconds = 300
    fresh = export("projects").json()["data"]["downloadUrl"]
    emu.reset()
    assert requests.get(fresh, timeout=10).status_code == 404
    client.get(fresh, timeout=10)
    assert emu.storage_saw_authorization == 1
    assert emu.download_requests[-1].had_authorization is True


def test_rate_limit_per_minute(emu: Emulator, export: Export) -> None:
    emu.settings.rate_limit_per_minute = 2
    assert export("projects").status_code == 200
    assert export("projects").status_code == 200
    limited = export("projects")
    assert limited.status_code == 429
    assert limited.json() == {
        "error": "Too Many Requests",
        "message": "Rate limit for public API exceeded",
    }
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_latency_setting_delays_posts(emu: Emulator, export: Export) -> None:
    emu.settings.export_latency_seconds = 0.3
    started = time.monotonic()
    assert export("projects").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_bulk_mode_row_count_and_limit(emu: Emulator, export: Export, parse_csv: Any) -> None:
    emu.settings.bulk_rows = 10_000
    data = export("users").json()["data"]
    assert data["recordCount"] == 10_000
    rows = parse_csv(requests.get(data["downloadUrl"], timeout=30).content)
    assert len(rows) == 10_000
    assert len({r["user_id"] for r in rows}) == 10_000
    assert rows[:50] == emu.expected_rows("users")[:50]
    emu.settings.bulk_rows = 1_000_001
    too_large = export("users")
    assert too_large.status_code == 400
    assert too_large.json() == {
        "error": "Export too large",
        "message": "Export too large: 1000001 rows exceeds limit of 1000000. "
        "Please narrow the date range.",
    }


def test_request_logs(emu: Emulator, export: Export, day_body: Any) -> None:
    export("users", day_body("2024-02-01", "Europe/Berlin", "model"), prefix="/api/public")
    entry = emu.export_requests[-1]
    assert entry.export_type == "users"
    assert entry.route == "/api/public/export/users"
    assert (entry.from_date, entry.from_timezone) == ("2024-02-01T00:00:00.000Z", "Europe/Berlin")
    assert (entry.to_date, entry.to_timezone) == ("2024-02-01T23:59:59.999Z", "Europe/Berlin")
    assert entry.group_by == "model"
    assert entry.status == 200
    assert entry.authorized is True


def test_admin_routes(emu: Emulator, export: Export) -> None:
    base = f"{emu.url}/_emulator"
    patched = requests.post(
        f"{base}/settings",
        json={"privacy": True, "quiet_days": ["2024-01-02"], "entities": {"users": 3}},
        timeout=10,
    ).json()
    assert patched["privacy"] is True
    assert emu.settings.quiet_days == {"2024-01-02"}
    assert emu.settings.entities["users"] == 3
    assert emu.settings.entities["projects"] == 12
    assert requests.post(f"{base}/settings", json={"nope": 1}, timeout=10).status_code == 400
    assert requests.post(f"{base}/settings", json={"bom": "yes"}, timeout=10).status_code == 400
    queued = requests.post(f"{base}/faults", json=[{"kind": "no_data", "count": 2}], timeout=10)
    assert queued.json() == {"queued": 1}
    assert requests.post(f"{base}/faults", json=[{"kind": "bogus"}], timeout=10).status_code == 400
    assert export("users").status_code == 404
    state = requests.get(f"{base}/state", timeout=10).json()
    assert state["counts"]["export_requests"] == 1
    assert state["pending_faults"][0]["count"] == 1
    logs = requests.get(f"{base}/requests", timeout=10).json()
    assert logs["exports"][0]["status"] == 404
    assert logs["faults"] == [["no_data", "export", "/export/users"]]
    ids = requests.get(f"{base}/entities/users", timeout=10).json()
    assert ids == emu.entity_ids("users")
    assert len(ids) == 3
    requests.post(f"{base}/reset", timeout=10)
    assert emu.settings == WorkspaceSettings()
    assert emu.export_requests == []
    assert emu.fault_log == []
    assert export("users").status_code == 200


def test_http11_keep_alive(emu: Emulator, export: Export) -> None:
    response = export("projects")
    assert response.raw.version == 11
    assert response.headers.get("Connection", "").lower() != "close"
    assert export("projects").status_code == 200


def test_verbose_logs_paths_but_never_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    with Emulator(api_key="very-secret", verbose=True) as emu:
        headers = {"Authorization": "Bearer very-secret"}
        body = {
            "from": {"date": "2024-01-01T00:00:00", "timezone": "UTC"},
            "to": {"date": "2024-01-01T23:59:59.999", "timezone": "UTC"},
        }
        data = requests.post(f"{emu.url}/export/projects", json=body, headers=headers, timeout=10)
        url = data.json()["data"]["downloadUrl"]
        assert requests.get(url, timeout=10).status_code == 200
        assert requests.get(url + "x", timeout=10).status_code == 403
    err = capsys.readouterr().err
    assert "POST /export/projects -> 200" in err
    assert "GET /storage/" in err
    assert "very-secret" not in err
    assert "signature=" not in err
    assert url.split("signature=")[1] not in err
