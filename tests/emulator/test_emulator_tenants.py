"""One emulator server, several workspaces: each API key reads only its own workspace."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from langdock_emulator import Emulator, Workspace
from langdock_emulator.tenants import MultiEmulator

BODY = {
    "from": {"date": "2024-01-01T00:00:00.000Z", "timezone": "UTC"},
    "to": {"date": "2024-01-01T23:59:59.999Z", "timezone": "UTC"},
}


def _rows(url: str, key: str, export_type: str) -> list[dict[str, str]]:
    headers = {"Authorization": f"Bearer {key}"}
    reply = requests.post(f"{url}/export/{export_type}", json=BODY, headers=headers, timeout=30)
    assert reply.status_code == 200, reply.text
    download = requests.get(reply.json()["data"]["downloadUrl"], timeout=30)
    assert download.status_code == 200
    return list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"), newline="")))


@pytest.fixture
def multi() -> Iterator[MultiEmulator]:
    workspaces = {"acme": Workspace(11, "key-acme"), "beta": Workspace(12, "key-beta")}
    with MultiEmulator(workspaces) as emulator:
        yield emulator


def test_each_key_reads_its_own_workspace_equal_to_a_one_workspace_server(
    multi: MultiEmulator,
) -> None:
    org_ids = set()
    for name, key, seed in (("acme", "key-acme", 11), ("beta", "key-beta", 12)):
        rows = _rows(multi.url, key, "users")
        tenant = multi.workspace(name)
        assert {row["org_id"] for row in rows} == {tenant.workspace.org_id}
        org_ids.add(tenant.workspace.org_id)
        assert rows == tenant.expected_rows("users")
        with Emulator(api_key=key, seed=seed) as alone:
            assert rows == _rows(alone.url, key, "users")
        # Requests are logged by the workspace that answered them, and by no other.
        assert len(tenant.export_requests) == 1
        assert len(tenant.download_requests) == 1
    assert len(org_ids) == 2


def test_an_unknown_key_is_refused_and_audit_routes_follow_the_key(multi: MultiEmulator) -> None:
    refused = requests.post(
        f"{multi.url}/export/users", json=BODY, headers={"Authorization": "Bearer x"}, timeout=30
    )
    assert refused.status_code == 401
    beta = multi.workspace("beta").workspace.org_id
    headers = {"Authorization": "Bearer key-acme"}
    # acme's key may not read beta's audit log.
    other = requests.get(f"{multi.url}/audit-logs/{beta}", headers=headers, timeout=30)
    assert other.status_code in (403, 404)
    own = requests.get(
        f"{multi.url}/audit-logs/{beta}", headers={"Authorization": "Bearer key-beta"}, timeout=30
    )
    assert own.status_code == 200


@pytest.mark.parametrize(
    ("workspaces", "message"),
    [
        ({}, "at least one"),
        ({"Acme": Workspace(1, "a")}, "'Acme': use lower-case"),
        ({"a": Workspace(1, "k"), "b": Workspace(2, "k")}, "'b': same API key as 'a'"),
        ({"a": Workspace(1, "k"), "b": Workspace(1, "l")}, "'b': same seed as 'a'"),
    ],
)
def test_workspaces_that_cannot_share_a_server_are_named(
    workspaces: dict[str, Workspace], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        MultiEmulator(workspaces)


def test_cli_serves_named_workspaces_with_keys_from_the_environment() -> None:
    env = {**os.environ, "LANGDOCK_EMULATOR_API_KEY_TEAM_B": "secret-team-b"}
    command = [sys.executable, "-m", "langdock_emulator", "--port", "0"]
    command += ["--workspace", "team-a=21", "--workspace", "team-b=22"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        url = match.group(1)
        team_a = _rows(url, "emulator-key-team-a", "projects")
        team_b = _rows(url, "secret-team-b", "projects")
        assert {row["org_id"] for row in team_a}.isdisjoint({row["org_id"] for row in team_b})
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "secret-team-b" not in out + err + line


def test_cli_rejects_a_malformed_workspace_option() -> None:
    command = [sys.executable, "-m", "langdock_emulator", "--workspace", "Team=x"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "'Team=x': write NAME=SEED" in result.stderr
