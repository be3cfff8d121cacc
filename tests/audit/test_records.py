"""From an audit-log entry to a typed record: instants, pii, odd values, unknown fields."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import typing as t

import jsonschema
import pytest

from tap_langdock.audit.records import SCHEMA, BadEntry, convert, parse_instant

UTC = dt.timezone.utc

ENTRY: dict[str, t.Any] = {
    "id": "al_1",
    "created_at": "2026-06-14T09:12:33.120Z",
    "actor_id": "usr_1",
    "actor_type": "USER",
    "actor_name": "  Zoë MÜLLER ",
    "action": "agent.updated",
    "entity_type": "agent",
    "entity_id": "agt_1",
    "ip_address": "2001:DB8::1",
    "user_agent": "Mozilla/5.0",
    "changes": {"before": {"name": "a"}, "after": {"name": "b"}},
    "snapshot": {"id": "agt_1", "settings": {"tags": ["x"]}},
}


def _sha(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()


def test_an_entry_becomes_a_record_that_matches_the_schema() -> None:
    converted = convert(ENTRY, pii="keep", workspace_id="ws")
    record = converted.record
    assert record == {
        **ENTRY,
        "created_at": "2026-06-14T09:12:33.120000+00:00",
        "workspace_id": "ws",
        "_extra_fields": None,
    }
    assert converted.created_at == dt.datetime(2026, 6, 14, 9, 12, 33, 120_000, tzinfo=UTC)
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(record)
    assert list(record) == list(SCHEMA["properties"])


@pytest.mark.parametrize(
    ("pii", "name", "address"),
    [
        ("keep", "  Zoë MÜLLER ", "2001:DB8::1"),
        ("hash", _sha("Zoë müller"), _sha("2001:db8::1")),
        ("drop", None, None),
    ],
)
def test_pii_applies_to_actor_name_and_ip_address_only(
    pii: str, name: str | None, address: str | None
) -> None:
    record = convert(ENTRY, pii=pii, workspace_id="ws").record
    assert (record["actor_name"], record["ip_address"]) == (name, address)
    for field in ("id", "actor_id", "entity_id", "user_agent", "changes", "snapshot"):
        assert record[field] == ENTRY[field], field


def test_hashing_matches_the_usage_exports_rule() -> None:
    from tap_langdock.cells import hash_text

    record = convert(ENTRY, pii="hash", workspace_id="ws").record
    assert record["actor_name"] == hash_text(ENTRY["actor_name"])


def test_missing_values_are_null_not_hashed() -> None:
    entry = {"id": "al_2", "created_at": "2026-06-14T00:00:00Z", "actor_type": "SYSTEM"}
    record = convert(entry, pii="hash", workspace_id="ws").record
    assert record["actor_name"] is None
    assert record["ip_address"] is None
    assert record["changes"] is None


INSTANTS = [
    ("2026-06-14T09:12:33.120Z", "2026-06-14T09:12:33.120000+00:00"),
    ("2026-06-14T09:12:33Z", "2026-06-14T09:12:33.000000+00:00"),
    ("2026-06-14T11:12:33.120+02:00", "2026-06-14T09:12:33.120000+00:00"),
    ("2026-06-14T04:12:33-0500", "2026-06-14T09:12:33.000000+00:00"),
    ("2026-06-14 09:12:33.123456789Z", "2026-06-14T09:12:33.123456+00:00"),
    ("2026-06-14T09:12:33,5Z", "2026-06-14T09:12:33.500000+00:00"),
    ("2026-06-14T09:12Z", "2026-06-14T09:12:00.000000+00:00"),
    ("2026-06-14T09:12:33.120", "2026-06-14T09:12:33.120000+00:00"),  # zone-less: UTC
    ("2026-06-14T00:30:00+05:45", "2026-06-13T18:45:00.000000+00:00"),
]


@pytest.mark.parametrize(("text", "canonical"), INSTANTS)
def test_created_at_in_any_iso_form_becomes_one_utc_form(text: str, canonical: str) -> None:
    entry = {**ENTRY, "created_at": text}
    assert convert(entry, pii="keep", workspace_id="ws").record["created_at"] == canonical


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "yesterday",
        "2026-06-14",
        "2026-02-30T00:00:00Z",
        "2026-06-14T25:00:00Z",
        "2026-06-14T09:12:33+24:00",
        1718356353,
        "2026-06-14T09:12:33.120Zjunk",
    ],
)
def test_unreadable_created_at_is_a_bad_entry(value: object) -> None:
    assert parse_instant(value) is None
    with pytest.raises(BadEntry, match="entry al_1 has created_at"):
        convert({**ENTRY, "created_at": value}, pii="keep", workspace_id="ws")


@pytest.mark.parametrize("value", [None, "", "   ", ["al_1"], True])
def test_an_entry_without_id_is_a_bad_entry(value: object) -> None:
    with pytest.raises(BadEntry, match="an entry has no id"):
        convert({**ENTRY, "id": value}, pii="keep", workspace_id="ws")


def test_numeric_ids_and_values_are_kept_as_text() -> None:
    entry = {**ENTRY, "id": 42, "actor_id": 7, "entity_id": {"k": 1}}
    record = convert(entry, pii="keep", workspace_id="ws").record
    assert (record["id"], record["actor_id"], record["entity_id"]) == ("42", "7", '{"k": 1}')


def test_unknown_fields_are_kept_and_named() -> None:
    entry = {**ENTRY, "workspace_name": "Acme", "metadata": {"reason": "offboarding"}}
    converted = convert(entry, pii="keep", workspace_id="ws")
    assert converted.unknown == ("metadata", "workspace_name")
    assert converted.record["_extra_fields"] == {
        "metadata": {"reason": "offboarding"},
        "workspace_name": "Acme",
    }


def test_json_fields_that_are_not_objects_are_wrapped_not_lost() -> None:
    entry = {**ENTRY, "changes": [{"field": "name"}], "snapshot": "deleted"}
    converted = convert(entry, pii="keep", workspace_id="ws")
    assert converted.wrapped == ("changes", "snapshot")
    assert converted.record["changes"] == {"_value": [{"field": "name"}]}
    assert converted.record["snapshot"] == {"_value": "deleted"}


def test_the_entry_itself_is_not_changed() -> None:
    entry = copy.deepcopy(ENTRY)
    convert(entry, pii="hash", workspace_id="ws")
    assert entry == ENTRY
