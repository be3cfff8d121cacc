"""All eleven streams through Meltano into DuckDB, in every workspace mode (issue 3)."""

from __future__ import annotations

import json
import typing as t
from pathlib import Path

import duckdb
import pytest

from langdock_emulator import Emulator, Fault
from tests.support.contract import STREAMS_BY_NAME
from tests.support.meltano_project import API_KEY, clean_env, meltano, tap_env

pytestmark = pytest.mark.slow

MODES = {
    "default": {},
    "privacy": {"privacy": True},
    "byok": {"byok": True, "extra_column": True},
}


@pytest.mark.parametrize("mode", list(MODES))
def test_every_stream_loads_typed_with_unique_keys(
    meltano_project: Path, tmp_path: Path, mode: str
) -> None:
    database = tmp_path / "all.duckdb"
    streams = {
        name: s
        for name, s in STREAMS_BY_NAME.items()
        if name != "models_usage_by_deployment" or mode == "byok"
    }
    with Emulator(api_key=API_KEY, seed=3) as emu:
        for setting, value in MODES[mode].items():
            setattr(emu.settings, setting, value)
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'meltano.db'}",
            TARGET_DUCKDB_FILEPATH=str(database),
            # Everything selected, as users do first: in a workspace without BYOK the
            # deployment grouping is skipped with one warning and the run still succeeds.
            TAP_LANGDOCK__SELECT=json.dumps([f"{name}.*" for name in STREAMS_BY_NAME]),
            **tap_env(emu.url, end_date="2025-03-02"),
        )
        run = meltano(meltano_project, ["run", "tap-langdock", "target-duckdb"], env).check()
        skipped = run.output.count("Langdock does not offer this export in this workspace")
        assert skipped == (0 if mode == "byok" else 1)
        assert emu.storage_saw_authorization == 0
    with duckdb.connect(str(database), read_only=True) as connection:
        for name, stream in streams.items():
            table = f'langdock_raw."{name}"'
            rows = connection.execute(f"select count(*) from {table}").fetchone()
            assert rows is not None
            assert rows[0] > 0, name
            keys = ", ".join(f'"{k}"' for k in stream.primary_keys)
            nulls = " or ".join(f'"{k}" is null' for k in stream.primary_keys)
            duplicates = connection.execute(
                f"select count(*) from (select {keys} from {table} group by {keys} "
                "having count(*) > 1)"
            ).fetchone()
            assert duplicates == (0,), name
            assert connection.execute(f"select count(*) from {table} where {nulls}").fetchone() == (
                0,
            )
            types: dict[str, t.Any] = dict(
                connection.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'langdock_raw' and table_name = ?",
                    [name],
                ).fetchall()
            )
            count_column = {"projects": "messages", "users": "messages_total"}.get(
                stream.export_type, "requests" if "requests" in types else None
            )
            if count_column:
                assert types[count_column] in {"BIGINT", "HUGEINT", "INTEGER"}, name
        if mode == "privacy":
            emails = connection.execute(
                'select count(*) from langdock_raw."users_usage" where email is not null'
            ).fetchone()
            assert emails == (0,)
        if mode == "byok":
            extras = connection.execute(
                'select count(*) from langdock_raw."projects_usage" where _extra_columns is null'
            ).fetchone()
            assert extras == (0,)


def _state(project: Path, env: dict[str, str]) -> dict[str, t.Any]:
    listed = meltano(project, ["state", "list"], env).check()
    (state_id,) = [line.strip() for line in listed.output.splitlines() if "tap-langdock" in line]
    shown = meltano(project, ["state", "get", state_id], env).check()
    return t.cast("dict[str, t.Any]", json.loads(shown.output[shown.output.index("{") :]))


def test_one_failing_stream_fails_the_run_but_keeps_every_good_state(
    meltano_project: Path, tmp_path: Path
) -> None:
    """Issue 10 through Meltano: users_usage's files stay bad; the other streams load."""
    database = tmp_path / "isolated.duckdb"
    with Emulator(api_key=API_KEY, seed=3) as emu:
        emu.add_fault(Fault("csv_missing_key_column", export_type="users", count=10_000))
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'meltano.db'}",
            TARGET_DUCKDB_FILEPATH=str(database),
            **tap_env(emu.url, end_date="2025-03-02"),
        )
        run = meltano(meltano_project, ["run", "tap-langdock", "target-duckdb"], env)
        assert run.returncode != 0
        assert "1 of 5 selected stream(s) ended early" in run.output
        assert "users_usage, window 2025-03-01 (UTC): the header lacks key column(s)" in run.output
        bookmarks = _state(meltano_project, env)["singer_state"]["bookmarks"]
    for name in ("projects_usage", "agents_usage", "api_keys_usage", "models_usage"):
        assert bookmarks[name]["exported_through"] == "2025-03-02", name
    assert not bookmarks.get("users_usage", {}).get("exported_through")
    with duckdb.connect(str(database), read_only=True) as connection:
        (rows,) = connection.execute(
            'select count(*) from langdock_raw."projects_usage"'
        ).fetchall()[0]
    assert rows > 0


def test_a_rejected_key_stops_meltano_after_one_request(
    meltano_project: Path, tmp_path: Path
) -> None:
    with Emulator(api_key=API_KEY, seed=3) as emu:
        env = clean_env(
            MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'meltano.db'}",
            TARGET_DUCKDB_FILEPATH=str(tmp_path / "rejected.duckdb"),
            **tap_env(emu.url, end_date="2025-03-20", TAP_LANGDOCK_API_KEY="ld-not-the-key"),
        )
        run = meltano(meltano_project, ["run", "tap-langdock", "target-duckdb"], env)
        assert run.returncode != 0
        assert "Langdock rejected the API key (HTTP 401" in run.output
        assert len(emu.export_requests) == 1
