"""The code location Dagster loads: `defs`, built from the environment at import.

A bad workspaces file fails the load with its one line (`WorkspacesFileError`), before
anything runs. Settings: see `langdock_dagster.location`.
"""

from __future__ import annotations

from langdock_dagster.location import build_defs

defs = build_defs()
