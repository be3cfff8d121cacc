"""Every fault kind once, fault matching, and seeded random faults."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
import requests

from langdock_emulator import Emulator, Fault
from langdock_emulator.faults import ALL_KINDS, DEFAULT_RANDOM_KINDS, HUGE_CELL_BYTES

Export = Callable[..., requests.Response]


def _download(export: Export, export_type: str = "projects") -> requests.Response:
    response = export(export_type)
    assert response.status_code == 200, response.text
    return requests.get(response.json()["data"]["downloadUrl"], timeout=10)


def test_rate_limit_fault_with_seconds_and_http_date(emu: Emulator, export: Export) -> None:
    emu.add_fault(Fault("rate_limit", retry_after="2"))
    emu.add_fault(Fault("rate_limit", retry_after="Wed, 21 Oct 2015 07:28:00 GMT"))
    emu.add_fault(Fault("rate_limit"))
    first, second, third = export("users"), export("users"), export("users")
    assert first.status_code == second.status_code == third.status_code == 429
    assert first.headers["Retry-After"] == "2"
    assert second.headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert "Retry-After" not in third.headers
    assert first.json()["message"] == "Rate limit for public API exceeded"
    assert export("users").status_code == 200
    assert emu.fault_log == [("rate_limit", "export", "/export/users")] * 3


@pytest.mark.parametrize(("status", "html"), [(500, False), (502, True), (None, True)])
def test_server_error(emu: Emulator, export: Export, status: int | None, html: bool) -> None:
    emu.add_fault(Fault("server_error", status=status))
    response = export("users")
    assert response.status_code == (status or 503)
    assert ("<html>" in response.text) is html


def test_reset_on_post_and_download(emu: Emulator, export: Export) -> None:
    emu.add_fault(Fault("reset"))
    with pytest.raises(requests.exceptions.ConnectionError):
        export("users")
    assert emu.export_requests[-1].status == 0
    emu.add_fault(Fault("download_reset"))
    with pytest.raises(requests.exceptions.ConnectionError):
        _download(export)
    assert emu.download_requests[-1].status == 0
    assert [k for k, _, _ in emu.fault_log] == ["reset", "download_reset"]
    assert _download(export).status_code == 200


def test_slow_fault_times_out_client(emu: Emulator, export: Export) -> None:
    emu.add_fault(Fault("slow", delay=0.6))
    with pytest.raises(requests.exceptions.ReadTimeout):
        export("users", timeout=0.2)
    assert export("users", timeout=5).status_code == 200


def test_truncate_download(emu: Emulator, export: Export) -> None:
    emu.add_fault(Fault("truncate"))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _download(export)
    assert emu.download_requests[-1].status == 200


def test_expired_url_and_storage_403(emu: Emulator, export: Export) -> None:
    emu.add_fault(Fault("expired_url"))
    expired = _download(export)
    assert expired.status_code == 403
    assert "Request has expired" in expired.text
    emu.add_fault(Fault("storage_403"))
    url = export("projects").json()["data"]["downloadUrl"]
    denied = requests.get(url, timeout=10)
    assert denied.status_code == 403
    assert "<Code>AccessDenied</Code>" in denied.text
    assert requests.get(url, timeout=10).status_code == 200


def test_envelope_faults(emu: Emulator, export: Export) -> None:
    honest = export("projects").json()["data"]["recordCount"]
    emu.add_fault(Fault("record_count_mismatch"))
    assert export("projects").json()["data"]["recordCount"] == honest + 1
    emu.add_fault(Fault("missing_download_url"))
    assert "downloadUrl" not in export("projects").json()["data"]
    emu.add_fault(Fault("bad_download_url"))
    assert export("projects").json()["data"]["downloadUrl"] == "ftp://example.invalid/x.csv"
    emu.add_fault(Fault("record_count_mismatch"))
    json_route = export("projects", route="/json").json()
    assert json_route["metadata"]["recordCount"] == len(json_route["data"]) + 1


@pytest.mark.parametrize(
    ("kind", "status", "body"),
    [
        ("no_data", 404, {"error": "No data found"}),
        ("unauthorized", 401, {"error": "Unauthorized"}),
        (
            "forbidden",
            403,
            {"error": "Forbidden", "message": "API key lacks the USAGE_EXPORT_API scope"},
        ),
        ("too_large", 400, {"error": "Export too large"}),
        ("success_false", 200, {"success": False}),
    ],
)
def test_json_error_faults(
    emu: Emulator, export: Export, kind: str, status: int, body: dict[str, Any]
) -> None:
    emu.add_fault(Fault(kind))
    response = export("users")
    assert response.status_code == status
    assert body.items() <= response.json().items()


def test_bad_body_faults(emu: Emulator, export: Export) -> None:
    emu.add_fault(Fault("not_json"))
    not_json = export("users")
    assert not_json.status_code == 200
    with pytest.raises(requests.exceptions.JSONDecodeError):
        not_json.json()
    emu.add_fault(Fault("html_error"))
    emu.add_fault(Fault("html_error", status=200))
    assert export("users").status_code == 502
    html_200 = export("users")
    assert html_200.status_code == 200
    assert html_200.headers["Content-Type"].startswith("text/html")
    emu.add_fault(Fault("huge_body"))
    huge = export("users")
    assert len(huge.content) >= 20 * 1024 * 1024


def _csv_text(response: requests.Response) -> str:
    return response.content.decode("utf-8")


def test_csv_content_faults(emu: Emulator, export: Export) -> None:
    normal = list(csv.reader(io.StringIO(_csv_text(_download(export)), newline="")))
    header = normal[0]

    def faulted(kind: str) -> requests.Response:
        emu.add_fault(Fault(kind))
        return _download(export)

    assert faulted("csv_empty").content == b""
    assert _csv_text(faulted("csv_header_only")) == ",".join(header) + "\r\n"
    missing = list(csv.reader(io.StringIO(_csv_text(faulted("csv_missing_key_column")))))
    assert "project_id" not in missing[0]
    assert len(missing) == len(normal)
    non_numeric = list(csv.DictReader(io.StringIO(_csv_text(faulted("csv_non_numeric")))))
    assert non_numeric[0]["messages"] == "abc"
    invalid = faulted("csv_invalid_utf8").content
    assert b"\xff" in invalid
    with pytest.raises(UnicodeDecodeError):
        invalid.decode("utf-8")
    assert b"\x00" in faulted("csv_nul").content
    semicolon = _csv_text(faulted("csv_semicolon"))
    assert semicolon.startswith("period_start;period_end;")
    ragged = list(csv.reader(io.StringIO(_csv_text(faulted("csv_ragged")), newline="")))
    assert sorted(len(row) for row in ragged)[0] == len(header) - 1
    assert len(ragged) == len(normal)
    huge = faulted("csv_huge_cell")
    assert len(huge.content) > HUGE_CELL_BYTES
    assert [k for k, _, _ in emu.fault_log][-1] == "csv_huge_cell"


def test_fault_matches_export_type_and_count(emu: Emulator, export: Export) -> None:
    emu.add_fault(Fault("no_data", export_type="agents", count=2))
    assert export("projects").status_code == 200
    assert export("assistants").status_code == 404
    assert export("agents").status_code == 404
    assert export("agents").status_code == 200
    assert emu.pending_faults == []


def test_download_faults_wait_for_a_servable_download(emu: Emulator, export: Export) -> None:
    emu.add_fault(Fault("truncate"))
    url = export("projects").json()["data"]["downloadUrl"]
    assert requests.get(url + "0", timeout=10).status_code == 403
    assert len(emu.pending_faults) == 1
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(url, timeout=10)


def test_unknown_fault_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("meteor")
    assert set(DEFAULT_RANDOM_KINDS) <= ALL_KINDS


def _random_run(seed: int) -> tuple[list[tuple[str, str, str]], list[int]]:
    with Emulator(api_key="k", seed=7) as emu:
        emu.set_random_faults(rate=0.5, seed=seed, slow_delay=0.01)
        statuses = []
        with requests.Session() as session:
            session.headers["Authorization"] = "Bearer k"
            for _ in range(30):
                try:
                    response = session.post(
                        f"{emu.url}/export/projects",
                        json={
                            "from": {"date": "2024-01-01T00:00:00", "timezone": "UTC"},
                            "to": {"date": "2024-01-01T23:59:59.999", "timezone": "UTC"},
                        },
                        timeout=10,
                    )
                    statuses.append(response.status_code)
                    if response.status_code == 200:
                        url = response.json()["data"]["downloadUrl"]
                        statuses.append(requests.get(url, timeout=10).status_code)
                except requests.exceptions.RequestException:
                    statuses.append(-1)
        return list(emu.fault_log), statuses


def test_random_faults_are_deterministic_for_a_seed() -> None:
    first_log, first_statuses = _random_run(3)
    again_log, again_statuses = _random_run(3)
    other_log, _ = _random_run(4)
    assert first_log == again_log
    assert first_statuses == again_statuses
    assert first_log != other_log
    kinds = {kind for kind, _, _ in first_log}
    assert len(kinds) >= 4
    assert kinds <= set(DEFAULT_RANDOM_KINDS)


def test_random_faults_with_templates_and_disable(emu: Emulator, export: Export) -> None:
    emu.set_random_faults(rate=1.0, seed=1, kinds=[Fault("server_error", status=500)])
    assert export("users").status_code == 500
    emu.set_random_faults(None)
    assert export("users").status_code == 200
