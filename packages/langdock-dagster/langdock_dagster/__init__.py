"""Dagster code location for tap-langdock: one partition per Langdock workspace.

`langdock_dagster.defs` (built on first access) is the `dagster.Definitions`; `dagster dev
-m langdock_dagster.definitions` or ``-m langdock_dagster -a defs`` loads it.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "defs":
        from langdock_dagster.definitions import defs  # noqa: PLC0415 - builds on access

        return defs
    raise AttributeError(name)
