"""One partition's `meltano run`: its command, its environment, its log lines (no Meltano)."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from langdock_dagster.meltano_run import (
    MissingKeyError,
    build_run,
    mask,
    parse_line,
    prepare_sys_dir,
)
from langdock_dagster.workspaces import WorkspaceEntry

ACME = WorkspaceEntry("acme", "KEY_ACME", "https://acme.example/api/public", "ws-1")
BETA = WorkspaceEntry("beta", "KEY_BETA")
WORKER_ENV = {
    "PATH": "/usr/bin",
    "HOME": "/root",
    "KEY_ACME": "ld-acme-SECRET-aaaaaa",
    "KEY_BETA": "ld-beta-SECRET-bbbbbb",
    "TAP_LANGDOCK_API_KEY": "ld-other-SECRET-cccccc",
    "TAP_LANGDOCK_START_DATE": "2025-03-01",
    "TARGET_POSTGRES_PASSWORD": "pw-SECRET-dddddd",
    "AWS_SECRET_ACCESS_KEY": "aws-SECRET-eeeeee",
    "MELTANO_SYS_DIR_ROOT": "/elsewhere",
}


def _run(entry: WorkspaceEntry = ACME, **extra: str) -> tuple[list[str], dict[str, str]]:
    run = build_run(
        meltano="meltano",
        project=Path("/project"),
        entry=entry,
        every_key_env=["KEY_ACME", "KEY_BETA"],
        loader="target-postgres",
        run_id="0f0e0d0c-0000-4000-8000-000000000000",
        environ={**WORKER_ENV, **extra},
    )
    return run.command, run.env


def test_the_command_has_its_own_state_suffix_and_run_id_and_never_force() -> None:
    command, _ = _run()
    assert command == [
        "meltano",
        "--log-format=json",
        "run",
        "--no-install",
        "--run-id=0f0e0d0c-0000-4000-8000-000000000000",
        "--state-id-suffix=acme",
        "tap-langdock",
        "target-postgres",
    ]
    assert "--force" not in command


def test_only_this_workspaces_key_and_url_reach_meltano() -> None:
    _, env = _run()
    assert env["TAP_LANGDOCK_API_KEY"] == "ld-acme-SECRET-aaaaaa"
    assert env["TAP_LANGDOCK_API_URL"] == "https://acme.example/api/public"
    assert env["TAP_LANGDOCK_WORKSPACE_ID"] == "ws-1"
    values = set(env.values())
    assert "ld-beta-SECRET-bbbbbb" not in values
    assert "ld-other-SECRET-cccccc" not in values
    assert "aws-SECRET-eeeeee" not in values  # not a variable Meltano's plugins read
    assert "KEY_ACME" not in env
    assert "KEY_BETA" not in env
    # Shared settings pass; the run's own system directory replaces the worker's.
    assert env["TAP_LANGDOCK_START_DATE"] == "2025-03-01"
    assert env["TARGET_POSTGRES_PASSWORD"] == "pw-SECRET-dddddd"
    assert env["MELTANO_SYS_DIR_ROOT"].startswith("/project/.meltano/dagster-runs/")
    assert env["MELTANO_DATABASE_URI"] == "sqlite:////project/.meltano/meltano.db"
    _, beta = _run(BETA)
    assert beta["TAP_LANGDOCK_API_KEY"] == "ld-beta-SECRET-bbbbbb"
    assert "TAP_LANGDOCK_WORKSPACE_ID" not in beta


def test_a_missing_key_variable_is_named_with_what_to_do() -> None:
    with pytest.raises(MissingKeyError, match=r"workspace acme: KEY_ACME is not set: export"):
        _run(KEY_ACME="")


def test_secrets_are_masked_in_log_lines() -> None:
    run = build_run(
        meltano="meltano",
        project=Path("/p"),
        entry=ACME,
        every_key_env=["KEY_ACME"],
        loader="target-postgres",
        run_id="r",
        environ=WORKER_ENV,
    )
    line = "key ld-acme-SECRET-aaaaaa and pw-SECRET-dddddd"
    assert mask(line, run.secrets) == "key *** and ***"


def test_meltano_json_lines_become_levels_and_text_with_plugin_and_metrics() -> None:
    plugin = {
        "cmd_type": "elb",
        "string_id": "tap-langdock",
        "event": "projects_usage: done",
        "level": "info",
    }
    line = parse_line(json.dumps(plugin))
    assert (line.level, line.text, line.plugin) == ("info", "projects_usage: done", "tap-langdock")
    metric = {**plugin, "event": 'METRIC: {"metric": "record_count", "value": 3}'}
    parsed = parse_line(json.dumps(metric))
    assert parsed.level == "debug"
    assert parsed.metric == {"metric": "record_count", "value": 3}
    own = parse_line(json.dumps({"event": "Block run completed", "level": "error", "err": "x"}))
    assert (own.level, own.text, own.plugin) == ("error", 'Block run completed {"err": "x"}', None)
    assert parse_line("plain text").text == "plain text"


def test_each_run_links_the_installed_plugins_and_keeps_its_own_run_dir(tmp_path: Path) -> None:
    shared = tmp_path / ".meltano"
    for name in ("extractors", "loaders", "run", "logs"):
        (shared / name).mkdir(parents=True)
    sys_dir = shared / "dagster-runs" / "r1"
    prepare_sys_dir(tmp_path, sys_dir)
    assert (sys_dir / "extractors").resolve() == shared / "extractors"
    assert not (sys_dir / "run").exists()
    assert not (sys_dir / "dagster-runs").exists()


def test_the_partition_tag_the_per_workspace_run_limit_keys_on() -> None:
    partitions = dg.StaticPartitionsDefinition(["acme", "beta"])
    tags = partitions.get_tags_for_partition_key("acme")
    assert tags["dagster/partition"] == "acme"
