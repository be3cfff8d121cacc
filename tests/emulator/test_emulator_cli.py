"""The ``langdock-emulator`` command as a real subprocess."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import requests

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
