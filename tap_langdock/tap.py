"""tap-langdock: settings and stream discovery."""

from __future__ import annotations

import functools
import logging
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
from tap_langdock.errors import LangdockError, StreamsFailed
from tap_langdock.run import Run
from tap_langdock.settings import CONFIG_SCHEMA, Settings
from tap_langdock.streams import STREAMS
from tap_langdock.workflow.runs_stream import WorkflowRunsStream
from tap_langdock.workflow.stream import WorkflowsStream
from tap_langdock.writer import BufferedMsgSpecWriter

if t.TYPE_CHECKING:
    from singer_sdk import Stream


_SYNC_ORDER = {vars(stream_class)["name"]: i for i, stream_class in enumerate(STREAMS)}


class TapLangdock(Tap):
    """Langdock usage per project, user, agent, API key, model and workflow, incrementally."""

    name = "tap-langdock"
    package_name = "tap-langdock"
    config_jsonschema = CONFIG_SCHEMA
    # Records are typed exactly once, in csv_records; msgspec encodes them without a second
    # pass (see writer.py).
    message_writer_class = BufferedMsgSpecWriter
    capabilities: t.ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        TapCapabilities.TEST,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
    ]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        # urllib3 logs every request line, query string included, at DEBUG: with
        # LOGLEVEL=DEBUG that would print signed download URLs.
        urllib3_log = logging.getLogger("urllib3")
        urllib3_log.setLevel(max(urllib3_log.level, logging.INFO))
        super().__init__(*args, **kwargs)
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

    @functools.cached_property
    def run(self) -> Run:
        """What this run's streams share: settings, the request budget, what they learnt."""
        return Run(lambda: self.settings, selected=self._selected_count)

    def _selected_count(self) -> int:
        # Streams sync in discovery order: the default-selected ones first (streams.STREAMS).
        return sum(1 for stream in self.streams.values() if stream.selected)

    @override
    def discover_streams(self) -> list[Stream]:
        exports: list[Stream] = [stream_class(self, run=self.run) for stream_class in STREAMS]
        return [
            *exports,
            AuditLogsStream(self, run=self.run),
            WorkflowsStream(self, run=self.run),
            WorkflowRunsStream(self, run=self.run),
        ]

    @property
    @override
    def streams(self) -> dict[str, Stream]:
        # The SDK sorts streams by name, and sync_all() syncs them in this mapping's order:
        # the most-used data (the default selection, first in STREAMS) must not wait behind
        # optional streams; the audit log and the Workflow API come last.
        streams = super().streams
        last = len(_SYNC_ORDER)
        return dict(sorted(streams.items(), key=lambda item: _SYNC_ORDER.get(item[0], last)))

    @classmethod
    @override
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        try:
            super().invoke(*args, **kwargs)
        except StreamsFailed as exc:
            for failure in exc.failures:
                cls.logger.error("%s", failure)
            sys.exit(1)
        except LangdockError as exc:
            # One line that says what and what to do; a traceback adds nothing for these.
            cls.logger.error("%s", exc)
            sys.exit(1)


if __name__ == "__main__":
    TapLangdock.cli()
