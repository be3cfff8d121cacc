"""The one exception the report raises for what a user can fix."""

from __future__ import annotations


class ReportError(Exception):
    """A one-line message: what is wrong, where, and what to do."""
