"""The emulator's public Python surface beyond HTTP: issued files, workspaces, API modules."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from langdock_emulator import Emulator, Fault, IssuedFile, Workspace, WorkspaceSettings
from langdock_emulator.router import Request, Route
from langdock_emulator.wire import json_reply

Export = Callable[..., requests.Response]


def test_issued_files_are_what_the_envelopes_gave(emu: Emulator, export: Export) -> None:
    assert emu.issued_files() == ()
    envelopes = [export(kind).json()["data"] for kind in ("users", "models")]
    emu.add_fault(Fault("expired_url"))
    envelopes.append(export("projects").json()["data"])
    issued = emu.issued_files()
    assert [f.export_type for f in issued] == ["users", "models", "projects"]
    for file, envelope in zip(issued, envelopes, strict=True):
        assert isinstance(file, IssuedFile)
        assert file.download_url == envelope["downloadUrl"]
        assert file.file_path == envelope["filePath"]
        assert file.rows == envelope["recordCount"]
        query = parse_qs(urlsplit(envelope["downloadUrl"]).query)
        assert query["signature"] == [file.signature]
        assert query["expires"] == [str(file.expires)]
        assert urlsplit(file.download_url).path == f"/storage/{file.file_id}.csv"
    # The expired URL's signature is recorded too: it is as secret as any other.
    assert issued[2].expires < issued[2].expires_at
    with pytest.raises(dataclasses.FrozenInstanceError):
        issued[0].signature = "x"  # type: ignore[misc]
    emu.reset()
    assert emu.issued_files() == ()


def test_issued_files_record_a_left_out_url(emu: Emulator, export: Export) -> None:
    emu.add_fault(Fault("missing_download_url"))
    assert "downloadUrl" not in export("users").json()["data"]
    (file,) = emu.issued_files()
    assert file.download_url is None
    assert re.fullmatch(r"[0-9a-f]{64}", file.signature)


def test_a_workspace_given_explicitly_is_the_one_served() -> None:
    settings = WorkspaceSettings(privacy=True)
    workspace = Workspace(seed=11, api_key="ws-key", settings=settings)
    with Emulator(workspace=workspace) as given, Emulator("ws-key", 11) as by_seed:
        assert given.workspace is workspace
        assert given.settings is settings  # live: changing it changes the answers
        assert (given.api_key, given.seed) == ("ws-key", 11)
        assert given.data.org_id == by_seed.data.org_id == workspace.org_id
        assert given.audit.workspace_id == workspace.org_id
        assert given.expected_rows("users") != by_seed.expected_rows("users")
        settings.privacy = False
        assert given.expected_rows("users") == by_seed.expected_rows("users")


def test_seeds_give_distinct_workspaces() -> None:
    assert Workspace(seed=1).org_id != Workspace(seed=2).org_id
    assert Workspace(seed=7).org_id == Workspace().org_id


class _EchoApi:
    """The shape of a further API module: ``routes()`` and handlers taking a `Request`."""

    def routes(self) -> list[Route]:
        return [Route(re.compile(r"/echo/([a-z]+)"), self.echo, frozenset({"GET"}))]

    def echo(self, request: Request) -> Any:
        return json_reply(200, {"word": request.match.group(1), "query": request.query})


def test_an_api_module_is_one_more_entry_in_the_list(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Emulator._apis
    monkeypatch.setattr(Emulator, "_apis", lambda self: [*original(self), _EchoApi()])
    with Emulator() as emu:
        answer = requests.get(f"{emu.url}/echo/hello?x=1", timeout=10)
        assert answer.json() == {"word": "hello", "query": "x=1"}
        # Other methods fall through to the router's 404, as for the storage route.
        assert requests.post(f"{emu.url}/echo/hello", timeout=10).status_code == 404
        assert requests.get(f"{emu.url}/export/users", timeout=10).status_code == 405
