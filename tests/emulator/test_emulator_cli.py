"""The ``langdock-emulator`` command as a real subprocess."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys

import requests

from langdock_emulator import DEFAULT_API_KEY, Emulator
from langdock_emulator.audit_log import AuditSettings

SECRET = "cli-secret-key-123"


def test_cli_starts_prints_one_line_answers_and_exits_cleanly() -> None:
    env = {**os.environ, "LANGDOCK_EMULATOR_API_KEY": SECRET}
    command = [sys.executable, "-m", "langdock_emulator", "--port", "0", "--privacy", "--byok"]
    command += ["--quiet-day", "2024-01-02", "--seed", "9"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(
            r"Langdock emulator listening on (http://127\.0\.0\.1:(\d+)) "
            r"\(api key from --api-key / LANGDOCK_EMULATOR_API_KEY\)\n",
            line,
        )
        assert match, line
        url = match.group(1)
        assert int(match.group(2)) > 0
        body = {
            "from": {"date": "2024-01-01T00:00:00.000Z", "timezone": "UTC"},
            "to": {"date": "2024-01-01T23:59:59.999Z", "timezone": "UTC"},
        }
        headers = {"Authorization": f"Bearer {SECRET}"}
        response = requests.post(f"{url}/export/users", json=body, headers=headers, timeout=10)
        assert response.status_code == 200
        download = requests.get(response.json()["data"]["downloadUrl"], timeout=10)
        header = download.content.split(b"\r\n", 1)[0].decode()
        assert ",email," not in header
        assert header.endswith("total_cost_usd")
        body["from"]["date"] = body["to"]["date"] = "2024-01-02T12:00:00"
        quiet = requests.post(f"{url}/export/users", json=body, headers=headers, timeout=10)
        assert quiet.status_code == 404
        state = requests.get(f"{url}/_emulator/state", timeout=10).json()
        assert state["settings"]["quiet_days"] == ["2024-01-02"]
        assert state["seed"] == 9
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert SECRET not in out + err + line
    assert "signature=" not in out + err


AUDIT_KEY = "cli-audit-key-456"
AUDIT_NOW = "2026-05-10T12:00:00Z"


def _audit_pages(url: str, workspace: str, key: str) -> list[bytes]:
    """Every page of one day, following next_cursor."""
    params = {"from": "2026-05-09T00:00:00Z", "to": "2026-05-10T00:00:00Z", "limit": "50"}
    pages = []
    while True:
        response = requests.get(
            f"{url}/audit-logs/{workspace}",
            params=params,
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        pages.append(response.content)
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages
        params["cursor"] = cursor


def test_cli_serves_the_audit_log_with_its_options() -> None:
    env = {**os.environ, "LANGDOCK_EMULATOR_AUDIT_API_KEY": AUDIT_KEY}
    env.pop("LANGDOCK_EMULATOR_API_KEY", None)
    command = [sys.executable, "-m", "langdock_emulator", "--port", "0", "--seed", "5"]
    command += ["--audit-order", "oldest_first", "--audit-page-size", "9"]
    command += ["--audit-cursor", "offset", "--audit-bounds", "half_open"]
    command += ["--audit-late-max", "3600", "--audit-entries-per-day", "40"]
    command += ["--audit-now", AUDIT_NOW]
    settings = AuditSettings(
        api_key=AUDIT_KEY,
        order="oldest_first",
        page_size=9,
        cursor="offset",
        bounds="half_open",
        late_max_seconds=3600.0,
        entries_per_day=40,
    )
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+) ", line)
        assert match, line
        url = match.group(1)
        state = requests.get(f"{url}/_emulator/state", timeout=10).json()
        served = _audit_pages(url, state["org_id"], AUDIT_KEY)
        usage_key = requests.get(
            f"{url}/audit-logs/{state['org_id']}",
            headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
            timeout=10,
        )
        assert usage_key.status_code == 403  # the export key lacks the audit scope now
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert AUDIT_KEY not in out + err + line
    # The same options in process give the same bytes: the CLI applied every one of them.
    with Emulator(seed=5, audit_settings=settings) as emu:
        emu.audit.clock = lambda: dt.datetime(2026, 5, 10, 12, tzinfo=dt.timezone.utc)
        assert _audit_pages(emu.url, emu.audit.workspace_id, AUDIT_KEY) == served
    entries = [entry for page in served for entry in json.loads(page)["data"]]
    assert len(served) == 5  # 40 a day, 9 a page
    assert len(entries) == 40
    assert [e["created_at"] for e in entries] == sorted(e["created_at"] for e in entries)


def test_cli_rejects_an_audit_option_out_of_range_in_one_line() -> None:
    command = [sys.executable, "-m", "langdock_emulator", "--audit-page-size", "80"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "langdock-emulator: error: --audit-page-size must be 1..50"
    )
    assert (
        "--audit-entries-per-day"
        in subprocess.run(
            [sys.executable, "-m", "langdock_emulator", "--help"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    )
