"""Every bad setting gets one line naming the setting and the fix; good ones parse."""

from __future__ import annotations

import datetime as dt

import pytest

from tap_langdock.errors import SettingsError
from tap_langdock.settings import Settings
from tap_langdock.windows import Grain

KEY = "sk-settings-test-SECRET-4711"
GOOD = {"api_key": KEY, "start_date": "2024-01-01"}


def test_defaults() -> None:
    settings = Settings.from_config(GOOD)
    assert settings.api_url == "https://api.langdock.com"
    assert settings.start_date == dt.date(2024, 1, 1)
    assert settings.end_date is None
    assert settings.timezone == "UTC"
    assert settings.grain is Grain.DAY
    assert settings.lookback_windows == 1
    assert settings.pii == "keep"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("2024-02-29T00:00:00Z", dt.date(2024, 2, 29)),
        ("2024-02-29T23:30:00+05:30", dt.date(2024, 2, 29)),
        ("2024-02-29 10:00:00", dt.date(2024, 2, 29)),
    ],
)
def test_start_date_forms(value: str, expected: dt.date) -> None:
    assert Settings.from_config({**GOOD, "start_date": value}).start_date == expected


def test_dedicated_api_url_keeps_its_path() -> None:
    settings = Settings.from_config({**GOOD, "api_url": "https://ld.example.com/api/public/"})
    assert settings.api_url == "https://ld.example.com/api/public"


BAD = [
    ({"api_key": ""}, "Setting api_key is missing or empty"),
    ({"api_key": None}, "Setting api_key is missing or empty"),
    ({"api_key": 12345}, "Setting api_key is missing or empty"),
    ({"start_date": None}, "Setting start_date is missing"),
    ({"start_date": "yesterday"}, "Setting start_date ('yesterday') is not a date"),
    ({"start_date": "2024-02-30"}, "Setting start_date ('2024-02-30') is not a date"),
    ({"start_date": "2024-01-01T25:00"}, "is not a date"),
    ({"end_date": "01/02/2024"}, "Setting end_date ('01/02/2024') is not a date"),
    ({"end_date": "2023-12-31"}, "Setting end_date (2023-12-31) is before start_date"),
    ({"timezone": "Mars/Olympus_Mons"}, "Setting timezone ('Mars/Olympus_Mons') is not an IANA"),
    ({"timezone": "+02:00"}, "is not an IANA time zone name"),
    ({"timezone": ""}, "is not an IANA time zone name"),
    ({"window": "hour"}, "Setting window ('hour') is not one of day, week, month"),
    ({"lookback_windows": -1}, "Setting lookback_windows (-1) is below 0"),
    ({"lookback_windows": "2"}, "Setting lookback_windows ('2') is not a whole number"),
    ({"lookback_windows": True}, "is not a whole number"),
    ({"pii": "mask"}, "Setting pii ('mask') is not one of keep, hash, drop"),
    ({"request_timeout": 0}, "Setting request_timeout (0) is below 1"),
    ({"max_retry_seconds": -5}, "Setting max_retry_seconds (-5) is below 0"),
    ({"api_url": "api.langdock.com"}, "Setting api_url ('api.langdock.com') is not an http(s)"),
    ({"api_url": "ftp://api.langdock.com"}, "is not an http(s) URL"),
    ({"api_url": "http://api.langdock.com"}, "uses plain http to a non-loopback host"),
    ({"api_url": "http://10.1.2.3:8080"}, "uses plain http to a non-loopback host"),
    ({"api_url": "https://user:pw@api.langdock.com"}, "has a query, fragment or credentials"),
    ({"api_url": "https://api.langdock.com/?key=1"}, "has a query, fragment or credentials"),
]


@pytest.mark.parametrize(("change", "expected"), BAD)
def test_bad_setting_is_named_with_a_fix(change: dict[str, object], expected: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_config({**GOOD, **change})
    message = str(caught.value)
    assert expected in message
    assert message.count("\n") == 0
    assert ": " in message  # problem, then what to do
    assert KEY not in message


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:1", "http://[::1]:9"])
def test_plain_http_is_fine_on_loopback(url: str) -> None:
    assert Settings.from_config({**GOOD, "api_url": url}).api_url == url
