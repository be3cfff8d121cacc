"""max_parallel_exports and max_requests_per_minute: defaults, good values, one-line errors."""

from __future__ import annotations

import pytest

from tap_langdock.errors import SettingsError
from tap_langdock.settings import CONFIG_SCHEMA, Settings

KEY = "sk-settings-test-SECRET-4712"
GOOD = {"api_key": KEY, "start_date": "2024-01-01"}
SETTINGS = ("max_parallel_exports", "max_requests_per_minute")


def test_defaults_suit_langdocks_limit() -> None:
    settings = Settings.from_config(GOOD)
    # The adaptive limit's ceiling (issue 13): ~38 in flight keep 450/min busy at 5 s/export.
    assert settings.max_parallel_exports == 48
    assert settings.max_requests_per_minute == 450
    assert settings.max_requests_per_minute < 500  # Langdock's own limit


@pytest.mark.parametrize("name", SETTINGS)
@pytest.mark.parametrize("value", [1, 2, 16, 500])
def test_whole_numbers_from_one_are_accepted(name: str, value: int) -> None:
    assert getattr(Settings.from_config({**GOOD, name: value}), name) == value


@pytest.mark.parametrize("name", SETTINGS)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "({}) is below 1: use a number >= 1."),
        (-3, "({}) is below 1: use a number >= 1."),
        ("4", "('4') is not a whole number: use a number >= 1."),
        (2.5, "(2.5) is not a whole number: use a number >= 1."),
        (True, "(True) is not a whole number: use a number >= 1."),
        (None, "(None) is not a whole number: use a number >= 1."),
    ],
)
def test_bad_values_name_the_setting_and_the_fix(name: str, value: object, expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_config({**GOOD, name: value})
    assert str(caught.value) == f"Setting {name} " + expected.format(value)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("name", SETTINGS)
def test_schema_declares_integer_default_and_description(name: str) -> None:
    prop = CONFIG_SCHEMA["properties"][name]
    assert "integer" in prop["type"]
    assert prop["default"] == getattr(Settings.from_config(GOOD), name)
    assert prop["description"].endswith(".")
    assert prop["title"]
    assert name not in CONFIG_SCHEMA.get("required", [])
