"""A local, deterministic stand-in for Langdock's Usage Export API, for testing tap-langdock."""

from langdock_emulator.faults import Fault
from langdock_emulator.logs import DownloadLog, ExportRequestLog
from langdock_emulator.server import Emulator
from langdock_emulator.settings import WorkspaceSettings
from langdock_emulator.storage import IssuedFile
from langdock_emulator.workspace import DEFAULT_API_KEY, Workspace

__all__ = [
    "DEFAULT_API_KEY",
    "DownloadLog",
    "Emulator",
    "ExportRequestLog",
    "Fault",
    "IssuedFile",
    "Workspace",
    "WorkspaceSettings",
]
