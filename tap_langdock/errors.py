"""Errors the tap reports as one line: what is wrong, where, and what to do.

Messages are built from fixed text plus values the tap controls (stream, window, status,
Langdock's own error message); they never include the API key, a request header or a signed
download URL.

Each error says how far it reaches. A stream-local one (a window that cannot be exported)
ends that stream at its last good window while the run goes on with the other streams; a
run-wide one (a rejected key, an `api_url` nothing answers at, a bad setting) would fail the
same way for every stream, so it stops the run at once.
"""

from __future__ import annotations

import typing as t


class LangdockError(Exception):
    """Base for errors that stop the tap (or one stream) with a clear, secret-free message."""

    run_wide: t.ClassVar[bool] = False
    """True when every other stream would fail the same way: the run stops at once."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__


class SettingsError(LangdockError):
    """A setting is missing or has a value the tap cannot use (raised before any request)."""

    run_wide = True


class StateError(LangdockError):
    """The incoming state of a stream cannot be continued with the current settings."""


class ExportError(LangdockError):
    """Langdock refused an export, or retries for it ran out."""


class KeyRejected(ExportError):
    """Langdock answered 401/403: the key is wrong or lacks the scope, for every stream alike."""

    run_wide = True


class Unreachable(ExportError):
    """Nothing answers at `api_url`: a wrong URL or no network, for every stream alike."""

    run_wide = True


class ExportUnavailable(ExportError):
    """This workspace cannot export this stream (e.g. grouping by deployment without BYOK)."""


class FileRejected(Exception):
    """A downloaded CSV file cannot be read as a Langdock export; none of its rows are emitted.

    An internal signal, not a reason to stop: the exporter asks for a fresh export and turns
    it into an `ExportError` only once the fresh exports are bad too.
    """


class StreamsFailed(ExportError):
    """More than one stream ended early; each failure is a line of its own."""

    def __init__(self, failures: list[LangdockError]) -> None:
        super().__init__("; ".join(str(failure) for failure in failures))
        self.failures = failures


class AuditLogError(LangdockError):
    """The audit log could not be read (refused, retries ran out, a bad page or entry)."""


class WorkflowApiError(LangdockError):
    """The Workflow API could not be read (refused, retries ran out, a bad page or run)."""


class WorkflowKeyRejected(WorkflowApiError):
    """Langdock answered 401 to the workflow key: every further request would be rejected."""

    run_wide = True
