"""tap-langdock: settings and stream discovery."""

from __future__ import annotations

import functools
import sys
import typing as t

from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import (
    CapabilitiesEnum,
    PluginCapabilities,
    TapCapabilities,
)

from tap_langdock._compat import override
from tap_langdock.audit.stream import AuditLogsStream
from tap_langdock.errors import LangdockError
from tap_langdock.settings import CONFIG_SCHEMA, Settings
from tap_langdock.streams import STREAMS
from tap_langdock.writer import BufferedMsgSpecWriter

if t.TYPE_CHECKING:
    from singer_sdk import Stream


class TapLangdock(Tap):
    """Langdock usage per project, user, agent, API key, model and workflow, incrementally."""

    name = "tap-langdock"
    package_name = "tap-langdock"
    config_jsonschema = CONFIG_SCHEMA
    reached_langdock = False
    """Set once any stream got an answer from Langdock in this run."""
    # Records are typed exactly once, in csv_records; msgspec encodes them without a second
    # pass (see writer.py).
    message_writer_class = BufferedMsgSpecWriter
    capabilities: t.ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
    ]

    def __init__(self, **kwargs: t.Any) -> None:
        super().__init__(**kwargs)
        # Settings only some streams need (audit_logs: workspace_id) are checked as soon as
        # the catalog says which streams are selected: before the first request of any.
        if self.input_catalog is not None:
            for stream in self.streams.values():
                if stream.selected and isinstance(stream, AuditLogsStream):
                    stream.check_settings()

    @functools.cached_property
    def settings(self) -> Settings:
        """Validated settings (checked once, before any request)."""
        return Settings.from_config(self.config)

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # Our checks run first: they name the setting and the fix, and unlike JSON-schema
        # messages they never echo the api_key's value.
        try:
            _ = self.settings
        except LangdockError as exc:
            if raise_errors:
                raise ConfigValidationError(str(exc), errors=[str(exc)]) from None
            self.logger.warning("%s", exc)
            return [str(exc)]
        return super()._validate_config(raise_errors=raise_errors)

    @override
    def discover_streams(self) -> list[Stream]:
        return [*(stream_class(self) for stream_class in STREAMS), AuditLogsStream(self)]

    @classmethod
    @override
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        try:
            super().invoke(*args, **kwargs)
        except LangdockError as exc:
            # One line that says what and what to do; a traceback adds nothing for these.
            cls.logger.error("%s", exc)
            sys.exit(1)


if __name__ == "__main__":
    TapLangdock.cli()
