"""Start an emulator as a child process on a free loopback port, wait until healthy, stop by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path


class EmulatorError(RuntimeError):
    """An emulator that is not installed, does not start or does not answer."""


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
            return bool(200 <= response.status < 500)
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


def require_venv(venv: Path, what: str) -> Path:
    """The venv's bin directory; a clear line when `make lanes` has not created it."""
    marker = venv / ".make-installed"
    if not marker.exists():
        msg = f"{what}: {venv.name}/ is not installed; run `make lanes` (it creates it once)"
        raise EmulatorError(msg)
    return venv / "bin"


class ChildProcess:
    """One emulator process; its output goes to ``log`` (never to a pipe that could fill)."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = log.open("ab")
        self._process: subprocess.Popen[bytes] | None = subprocess.Popen(  # noqa: S603
            command,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self._process.pid

    def wait_healthy(self, healthy: t.Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                break
            if healthy():
                return
            time.sleep(0.2)
        tail = self.log.read_text(encoding="utf-8", errors="replace")[-1500:]
        self.stop()
        msg = (
            f"the {self.name} did not become healthy within {timeout:.0f} s; its log ends:\n{tail}"
        )
        raise EmulatorError(msg)

    def stop(self) -> None:
        """SIGTERM to this process (its own session) only; SIGKILL if it does not go in 15 s."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        self._log_file.close()
