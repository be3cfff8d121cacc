"""Headless Chromium driven over the DevTools protocol on a pipe, without Node or websockets.

``--remote-debugging-pipe`` makes Chromium read commands from fd 3 and write answers and
events to fd 4, each a JSON message ended by a NUL byte (what Playwright and Puppeteer use).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import typing as t
from pathlib import Path

# The flags the CI machine runs with: no sandbox (root), no GPU, nothing phoning home.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
)
EXECUTABLES = ("chromium", "chromium-browser", "google-chrome", "chrome")
TIMEOUT = 60.0
_TRAMPOLINE = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


def find_chromium() -> str | None:
    for name in EXECUTABLES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _pipe_above(lowest: int) -> tuple[int, int]:
    ends = []
    for end in os.pipe():
        moved = fcntl.fcntl(end, fcntl.F_DUPFD_CLOEXEC, lowest + 1)
        os.close(end)
        ends.append(moved)
    return ends[0], ends[1]


class ProtocolError(RuntimeError):
    pass


class Chromium:
    """One browser process; ``page()`` opens a tab that records console, errors and requests."""

    def __init__(self, executable: str, *, timezone: str = "UTC") -> None:
        self._profile = tempfile.mkdtemp(prefix="report-chromium-")
        # Both child ends above fd 4, so that mapping one onto 3 never overwrites the other.
        commands_read, self._commands = _pipe_above(4)
        self._answers, answers_write = _pipe_above(4)
        # Chromium's own log (D-Bus and GPU noise on a server) goes to a file, for failures.
        self.log = Path(self._profile) / "chromium.log"
        stderr = self.log.open("wb")
        # A small Python trampoline maps the two pipe ends onto fds 3 and 4, where Chromium
        # expects them (sh cannot: dash only redirects fds 0 to 9).
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _TRAMPOLINE,
                str(commands_read),
                str(answers_write),
                executable,
                *FLAGS,
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile}",
                "about:blank",
            ],
            pass_fds=(commands_read, answers_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "TZ": timezone},
        )
        stderr.close()
        os.close(commands_read)
        os.close(answers_write)
        self._next_id = 0
        self._replies: dict[int, queue.Queue[dict[str, t.Any]]] = {}
        self._lock = threading.Lock()
        self.events: list[dict[str, t.Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._answers, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        waiting = self._replies.get(message["id"])
                    if waiting is not None:
                        waiting.put(message)
                else:
                    self.events.append(message)

    def send(
        self, method: str, params: dict[str, t.Any] | None = None, session: str | None = None
    ) -> dict[str, t.Any]:
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            waiting: queue.Queue[dict[str, t.Any]] = queue.Queue()
            self._replies[ident] = waiting
        message: dict[str, t.Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._commands, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise ProtocolError(f"{method}: Chromium is gone ({self._last_words()})") from None
        try:
            reply = waiting.get(timeout=TIMEOUT)
        except queue.Empty:
            raise ProtocolError(f"{method}: no answer from Chromium in {TIMEOUT:.0f} s") from None
        finally:
            with self._lock:
                self._replies.pop(ident, None)
        if "error" in reply:
            raise ProtocolError(f"{method}: {reply['error']}")
        return t.cast(dict[str, t.Any], reply.get("result", {}))

    def _last_words(self) -> str:
        status = self.process.poll()
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        useful = [line for line in lines if "dbus" not in line.lower()][-8:]
        return f"exit status {status}; its log ends: " + " | ".join(useful)

    def page(self, width: int = 1400, height: int = 900) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page

    def close(self) -> None:
        with contextlib.suppress(ProtocolError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        self._reader.join(timeout=5)
        os.close(self._answers)
        shutil.rmtree(self._profile, ignore_errors=True)


class Page:
    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser = browser
        self.session = session

    def send(self, method: str, params: dict[str, t.Any] | None = None) -> dict[str, t.Any]:
        return self.browser.send(method, params, self.session)

    def events(self, method: str) -> list[dict[str, t.Any]]:
        return [
            event["params"]
            for event in list(self.browser.events)
            if event.get("sessionId") == self.session and event.get("method") == method
        ]

    def evaluate(self, expression: str) -> t.Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise ProtocolError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, path: Path, ready: str, timeout: float = 30.0) -> None:
        """Navigate to ``path`` and wait until the JS expression ``ready`` is truthy."""
        self.send("Page.navigate", {"url": path.resolve().as_uri()})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Between navigation and the new document, the page may have no document yet.
            if self.evaluate(
                f"(() => {{ try {{ return !!({ready}); }} catch (e) {{ return false; }} }})()"
            ):
                return
            time.sleep(0.05)
        raise ProtocolError(f"{path.name}: not ready after {timeout:.0f} s ({ready})")

    def console_problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions and browser log errors (CSP)."""
        problems = [
            f"console.{call['type']}: "
            + " ".join(str(arg.get("value", arg.get("description", ""))) for arg in call["args"])
            for call in self.events("Runtime.consoleAPICalled")
            if call["type"] in ("error", "warning", "assert")
        ]
        problems += [
            f"exception: {item['exceptionDetails'].get('exception', {}).get('description', '')}"
            for item in self.events("Runtime.exceptionThrown")
        ]
        problems += [
            f"log {entry['entry']['level']}: {entry['entry']['text']}"
            for entry in self.events("Log.entryAdded")
            if entry["entry"]["level"] in ("error", "warning")
        ]
        return problems

    def requested_urls(self) -> list[str]:
        return [event["request"]["url"] for event in self.events("Network.requestWillBeSent")]

    def hover(self, x: float, y: float) -> None:
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})

    def screenshot(self, path: Path, width: int) -> None:
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        shot = self.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
        )
        path.write_bytes(base64.b64decode(shot["data"]))

    def section_picture(self, chart_id: str, path: Path) -> None:
        """A PNG of the section that holds chart ``chart_id``, scrolled into view."""
        box = self.evaluate(_SECTION_BOX.replace("CHART_ID", json.dumps(f"chart-{chart_id}")))
        shot = self.send("Page.captureScreenshot", {"format": "png", "clip": {**box, "scale": 1}})
        path.write_bytes(base64.b64decode(shot["data"]))


_SECTION_BOX = """
(() => {
  const chart = document.getElementById(CHART_ID);
  const panel = chart.closest('section') || chart.parentElement;
  panel.scrollIntoView({block: 'start'});
  const box = panel.getBoundingClientRect();
  const [x, y] = [box.x + window.scrollX, box.y + window.scrollY];
  return {x: x, y: y, width: box.width, height: box.height};
})()
"""
