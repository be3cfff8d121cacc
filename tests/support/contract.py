"""What the tap promises its users, as the tests spell it: setting names, streams, keys.

Derived from the tap itself where it states them (`tap_langdock.streams.STREAMS`), so a test
that checks the contract compares with one list instead of a copy of its own.
"""

from __future__ import annotations

import typing as t

from tap_langdock.streams import STREAMS

if t.TYPE_CHECKING:
    from tap_langdock.client import LangdockStream

# Settings whose names are a contract (README, issue 2); the tap may add more after them.
# Everything else that --about lists comes from the SDK (stream maps, flattening, ...).
CONTRACT_SETTINGS = [
    "api_key",
    "api_url",
    "start_date",
    "end_date",
    "timezone",
    "window",
    "lookback_windows",
    "pii",
    "request_timeout",
    "max_retry_seconds",
]


def _name(stream: type[LangdockStream]) -> str:
    # The SDK declares `name` as an instance attribute; every stream class sets it on the class.
    return stream.name  # type: ignore[misc]


STREAMS_BY_NAME: dict[str, type[LangdockStream]] = {_name(s): s for s in STREAMS}
STREAM_NAMES = tuple(STREAMS_BY_NAME)
DEFAULT_STREAMS = tuple(
    name for name, s in STREAMS_BY_NAME.items() if getattr(s, "selected_by_default", True)
)
KEYS: dict[str, tuple[str, ...]] = {
    name: tuple(s.primary_keys or ()) for name, s in STREAMS_BY_NAME.items()
}
