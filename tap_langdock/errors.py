"""Errors the tap reports as one line: what is wrong, where, and what to do.

Messages are built from fixed text plus values the tap controls (stream, window, status,
Langdock's own error message); they never include the API key, a request header or a signed
download URL.
"""

from __future__ import annotations


class LangdockError(Exception):
    """Base for errors that stop the tap with a clear, secret-free message."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else type(self).__name__


class SettingsError(LangdockError):
    """A setting is missing or has a value the tap cannot use (raised before any request)."""


class StateError(LangdockError):
    """The incoming state cannot be continued with the current settings."""


class ExportError(LangdockError):
    """Langdock refused an export, or retries for it ran out."""


class FileRejected(LangdockError):
    """A downloaded CSV file cannot be read as a Langdock export; none of its rows are emitted."""


class AuditLogError(LangdockError):
    """The audit log could not be read (refused, retries ran out, a bad page or entry)."""
