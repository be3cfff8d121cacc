"""One emulated Langdock workspace: who it is (seed, org id, API key) and how it behaves.

Everything the emulator generates for a workspace derives from its seed, so several
workspaces can later share one server, each answering its own key with its own data.
"""

from __future__ import annotations

import dataclasses

from langdock_emulator.mixing import uuid_like
from langdock_emulator.settings import WorkspaceSettings

DEFAULT_API_KEY = "emulator-key"
DEFAULT_SEED = 7


def org_id_for(seed: int) -> str:
    """The workspace id Langdock puts in every export row (and the audit route's path)."""
    return uuid_like(seed, 0x0A6)


@dataclasses.dataclass
class Workspace:
    """``settings`` is read afresh by every request, so tests may change it while serving."""

    seed: int = DEFAULT_SEED
    api_key: str = DEFAULT_API_KEY
    settings: WorkspaceSettings = dataclasses.field(default_factory=WorkspaceSettings)
    org_id: str = ""

    def __post_init__(self) -> None:
        if not self.org_id:
            self.org_id = org_id_for(self.seed)
