"""Finding the syncing tap under a process tree and SIGKILLing it at a chosen moment."""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import threading
import time
import typing as t

if t.TYPE_CHECKING:
    from langdock_emulator import Emulator


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def _cmdline(pid: int) -> list[str]:
    try:
        raw = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _syncing_tap(root: int) -> int | None:
    """The pid of the tap process that is syncing (not discovering) under ``root``."""
    for pid in [root, *_children(root)]:
        args = _cmdline(pid)
        text = " ".join(args)
        is_tap = "tap_langdock" in text or "tap-langdock" in text
        if is_tap and "--discover" not in args and "--config" in args:
            return pid
    return None


class KillSwitch(threading.Thread):
    """SIGKILLs the syncing tap under ``root`` once the emulator saw ``after`` export requests."""

    def __init__(self, emu: Emulator, root: int, after: int | None, jitter: float) -> None:
        super().__init__(daemon=True)
        self.emu, self.root, self.after, self.jitter = emu, root, after, jitter
        self.done = threading.Event()
        self.killed_pid: int | None = None
        self.at_requests = 0

    def run(self) -> None:
        if self.after is None:
            return
        while not self.done.is_set():
            if len(self.emu.export_requests) >= self.after:
                time.sleep(self.jitter)
                pid = _syncing_tap(self.root)
                if pid is not None:
                    self.at_requests = len(self.emu.export_requests)
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                        self.killed_pid = pid
                return
            time.sleep(0.002)
