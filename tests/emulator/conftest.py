"""Fixtures for the emulator's own tests: a live server on loopback and a thin client."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from langdock_emulator import Emulator

API_KEY = "ld-test-key"


def _day_body(
    day: str = "2024-01-01", timezone: str = "UTC", group_by: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "from": {"date": f"{day}T00:00:00.000Z", "timezone": timezone},
        "to": {"date": f"{day}T23:59:59.999Z", "timezone": timezone},
    }
    if group_by is not None:
        body["group_by"] = group_by
    return body


def _parse_csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


@pytest.fixture
def day_body() -> Callable[..., dict[str, Any]]:
    """Body for one local calendar day: ``day_body("2024-01-01", "Europe/Berlin", "model")``."""
    return _day_body


@pytest.fixture
def parse_csv() -> Callable[[bytes], list[dict[str, str]]]:
    return _parse_csv


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(api_key=API_KEY, seed=7) as emulator:
        yield emulator


@pytest.fixture
def client() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {API_KEY}"
        yield session


@pytest.fixture
def export(emu: Emulator, client: requests.Session) -> Callable[..., requests.Response]:
    def post(
        export_type: str,
        body: dict[str, Any] | None = None,
        route: str = "",
        prefix: str = "",
        **kwargs: Any,
    ) -> requests.Response:
        url = f"{emu.url}{prefix}/export/{export_type}{route}"
        return client.post(url, json=body if body is not None else _day_body(), **kwargs)

    return post


@pytest.fixture
def fetch_rows(
    export: Callable[..., requests.Response],
) -> Callable[..., list[dict[str, str]]]:
    """POST an export, download its CSV with a header-less client, return the parsed rows."""

    def run(export_type: str, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        response = export(export_type, body, **kwargs)
        assert response.status_code == 200, response.text
        download = requests.get(response.json()["data"]["downloadUrl"], timeout=10)
        assert download.status_code == 200, download.text
        rows = _parse_csv(download.content)
        assert len(rows) == response.json()["data"]["recordCount"]
        return rows

    return run
