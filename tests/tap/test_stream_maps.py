"""The fast path keeps the Singer contract: stream maps, selection, flattening, exact types.

Records are typed once in csv_records and written by msgspec with the SDK's type conformance
off; these tests prove the SDK's own record processing still applies to every record, and
that conformance would not have changed a single value.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import typing as t

import jsonschema
import pytest
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib.encoding.simple import SimpleSingerWriter

from langdock_emulator import Emulator
from tap_langdock.tap import TapLangdock
from tap_langdock.writer import BufferedMsgSpecWriter
from tests.support.secrets import scan_for_secrets
from tests.support.tap_runner import tap_config

LOGGER = logging.getLogger(__name__)


def sync(
    tap_class: type[TapLangdock],
    config: dict[str, t.Any],
    streams: t.Collection[str] = ("projects_usage",),
    deselect: dict[str, list[str]] | None = None,
) -> list[dict[str, t.Any]]:
    """All messages of one in-process run, optionally with properties deselected."""
    catalog = TapLangdock(config=config).catalog_dict
    for entry in catalog["streams"]:
        for item in entry["metadata"]:
            crumb = item["breadcrumb"]
            if crumb == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] in streams
            elif crumb[-1] in (deselect or {}).get(entry["tap_stream_id"], []):
                item["metadata"]["selected"] = False
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tap_class(config=config, catalog=catalog, setup_mapper=True).sync_all()
    scan_for_secrets(out.getvalue(), "tap stdout")
    return [json.loads(line) for line in out.getvalue().splitlines()]


def of_type(messages: list[dict[str, t.Any]], kind: str) -> list[dict[str, t.Any]]:
    return [m for m in messages if m["type"] == kind]


def test_tap_uses_the_msgspec_writer_and_no_conformance() -> None:
    assert issubclass(TapLangdock.message_writer_class, BufferedMsgSpecWriter)
    stream = TapLangdock(config={"api_key": "k", "start_date": "2025-01-01"}).streams[
        "projects_usage"
    ]
    assert stream.TYPE_CONFORMANCE_LEVEL is TypeConformanceLevel.NONE


def test_stream_map_removes_a_property(emulator: Emulator) -> None:
    config = tap_config(emulator, stream_maps={"projects_usage": {"project_name": None}})
    messages = sync(TapLangdock, config)
    records = [m["record"] for m in of_type(messages, "RECORD")]
    assert records
    assert all("project_name" not in r and "project_id" in r for r in records)
    (schema,) = of_type(messages, "SCHEMA")
    assert "project_name" not in schema["schema"]["properties"]


def test_stream_map_alias_expression_and_filter(emulator: Emulator) -> None:
    plain = of_type(sync(TapLangdock, tap_config(emulator)), "RECORD")
    middle = sorted(m["record"]["messages"] for m in plain)[len(plain) // 2]
    config = tap_config(
        emulator,
        stream_maps={
            "projects_usage": {
                "__alias__": "projects",
                "__filter__": f"messages > {middle}",
                "project_key": "project_id.upper()",
            }
        },
    )
    messages = sync(TapLangdock, config)
    records = of_type(messages, "RECORD")
    assert records
    assert {m["stream"] for m in records} == {"projects"}
    assert {m["stream"] for m in of_type(messages, "SCHEMA")} == {"projects"}
    assert all(m["record"]["messages"] > middle for m in records)
    assert all(m["record"]["project_key"] == m["record"]["project_id"].upper() for m in records)
    assert len(records) == sum(m["record"]["messages"] > middle for m in plain) < len(plain)


def test_deselected_properties_are_not_emitted(emulator: Emulator) -> None:
    messages = sync(
        TapLangdock,
        tap_config(emulator),
        streams=("projects_usage", "users_usage"),
        deselect={
            "projects_usage": ["project_owner_email"],
            "users_usage": ["email", "model_to_messages_total"],
        },
    )
    records = of_type(messages, "RECORD")
    by_stream = {m["stream"] for m in records}
    assert by_stream == {"projects_usage", "users_usage"}
    for message in records:
        record = message["record"]
        assert "project_owner_email" not in record
        assert "email" not in record
        assert "model_to_messages_total" not in record
    assert any("project_id" in m["record"] for m in records)
    assert any("assistants_to_messages" in m["record"] for m in records)


def test_flattening_still_applies(emulator: Emulator) -> None:
    config = tap_config(emulator, flattening_enabled=True, flattening_max_depth=1)
    messages = sync(TapLangdock, config, streams=("users_usage",))
    record = next(m["record"] for m in of_type(messages, "RECORD") if m["record"]["email"])
    assert not any(isinstance(value, dict) for value in record.values())
    assert any(key.startswith("model_to_messages_total__") for key in record)


@pytest.mark.parametrize("mode", [{}, {"byok": True, "extra_column": True}, {"privacy": True}])
def test_records_already_match_their_schema_exactly(
    emulator: Emulator, mode: dict[str, t.Any]
) -> None:
    for key, value in mode.items():
        setattr(emulator.settings, key, value)
    streams = ("projects_usage", "users_usage", "models_usage", "agents_usage")
    messages = sync(TapLangdock, tap_config(emulator), streams=streams)
    schemas = {m["stream"]: m["schema"] for m in of_type(messages, "SCHEMA")}
    seen = set()
    for message in of_type(messages, "RECORD"):
        schema, record = schemas[message["stream"]], message["record"]
        seen.add(message["stream"])
        jsonschema.Draft7Validator(schema).validate(record)
        assert set(record) == set(schema["properties"])
        conformed = conform_record_data_types(
            message["stream"], dict(record), schema, TypeConformanceLevel.RECURSIVE, LOGGER
        )
        assert conformed == record
    assert seen == set(streams)


class DefaultWriterTap(TapLangdock):
    # The SDK's own writer, on purpose narrower-typed in TapLangdock.
    message_writer_class = SimpleSingerWriter  # type: ignore[assignment]


def test_msgspec_output_equals_the_default_writers(emulator: Emulator) -> None:
    emulator.settings.byok = True
    emulator.settings.extra_column = True
    config = tap_config(emulator)
    streams = ("projects_usage", "users_usage", "models_usage")
    fast = sync(TapLangdock, config, streams=streams)
    plain = sync(DefaultWriterTap, config, streams=streams)
    for message in fast + plain:
        message.pop("time_extracted", None)
    assert fast == plain
    assert len(of_type(fast, "RECORD")) > 50
