"""A self-contained, offline HTML usage report built from tap-langdock's dbt marts."""

from __future__ import annotations

from langdock_report.build import BuildResult, build_report
from langdock_report.errors import ReportError

__all__ = ["BuildResult", "ReportError", "build_report"]
