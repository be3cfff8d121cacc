"""workspace_id and audit_log_api_key: checked before any request, through the real CLI."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import typing as t

import pytest

from langdock_emulator import Emulator
from tap_langdock.errors import SettingsError
from tap_langdock.settings import Settings
from tap_langdock.tap import TapLangdock
from tests.audit.audit_support import AUDIT_KEY, audit_config
from tests.support.secrets import TEST_API_KEY, scan_for_secrets

BASE = {"api_key": TEST_API_KEY, "start_date": "2026-06-12"}


def _catalog(config: dict[str, t.Any], streams: t.Collection[str]) -> dict[str, t.Any]:
    catalog = TapLangdock(config=config).catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def _cli(
    tmp_path: pathlib.Path, config: dict[str, t.Any], *args: str
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "tap_langdock", "--config", str(tmp_path / "config.json"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("TAP_LANGDOCK_")},
        check=False,
    )
    scan_for_secrets(result.stdout + result.stderr, "tap-langdock CLI")
    return result


def test_workspace_id_is_optional_and_trimmed() -> None:
    assert Settings.from_config(BASE).workspace_id is None
    assert Settings.from_config({**BASE, "workspace_id": "  "}).workspace_id is None
    assert Settings.from_config({**BASE, "workspace_id": " ws-1 "}).workspace_id == "ws-1"


@pytest.mark.parametrize(
    "value", ["https://app.langdock.com/settings/ws-1", "ws 1", "ws/1", 12345, "x" * 201]
)
def test_a_workspace_id_that_is_no_id_is_named(value: object) -> None:
    with pytest.raises(
        SettingsError, match=r"^Setting workspace_id \(.*\) is not a workspace id: "
    ):
        Settings.from_config({**BASE, "workspace_id": value})


def test_an_audit_key_that_is_no_text_is_named_without_its_value() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_config({**BASE, "audit_log_api_key": 4242424242})
    assert str(raised.value) == (
        "Setting audit_log_api_key is not text: set it to a Langdock API key, or leave it unset."
    )
    assert "4242" not in str(raised.value)


def test_selecting_audit_logs_without_workspace_id_stops_before_any_request(
    tmp_path: pathlib.Path, emulator: Emulator
) -> None:
    config = {**audit_config(emulator), "end_date": "2026-06-13"}
    del config["workspace_id"]
    catalog = _catalog(config, {"projects_usage", "audit_logs"})
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    result = _cli(tmp_path, config, "--catalog", str(tmp_path / "catalog.json"))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].endswith(
        "Setting workspace_id is missing: the audit_logs stream is selected and reads one "
        "workspace's audit log; set workspace_id to your Langdock workspace's id "
        "(TAP_LANGDOCK_WORKSPACE_ID), or deselect audit_logs."
    )
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert emulator.export_requests == []
    assert emulator.audit.requests == []


def test_usage_exports_alone_need_no_workspace_id(
    tmp_path: pathlib.Path, emulator: Emulator
) -> None:
    config = {**audit_config(emulator), "start_date": "2025-03-01", "end_date": "2025-03-01"}
    del config["workspace_id"]
    catalog = _catalog(config, {"projects_usage"})
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    result = _cli(tmp_path, config, "--catalog", str(tmp_path / "catalog.json"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert emulator.export_requests
    assert emulator.audit.requests == []


def test_the_connection_test_skips_audit_logs_without_workspace_id(
    tmp_path: pathlib.Path, emulator: Emulator
) -> None:
    emulator.settings.byok = True  # --test also runs models_usage_by_deployment
    config = {**audit_config(emulator), "start_date": "2025-03-01", "end_date": "2025-03-01"}
    del config["workspace_id"]
    result = _cli(tmp_path, config, "--test")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "audit_logs: not tested: Setting workspace_id is missing" in result.stderr
    assert emulator.audit.requests == []


def test_audit_log_api_key_is_secret_in_about() -> None:
    about = subprocess.run(
        [sys.executable, "-m", "tap_langdock", "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    settings = json.loads(about.stdout)["settings"]["properties"]
    assert settings["audit_log_api_key"]["secret"] is True
    assert "workspace_id" in settings
    assert AUDIT_KEY not in about.stdout
