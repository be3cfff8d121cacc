"""HTTP plumbing: the threaded loopback server, its request handler and the reply shapes.

Knows nothing about Langdock: it reads a request, hands it to the app's ``dispatch`` and
writes the ``Reply`` back (a file streamed in chunks, a truncated body, or a TCP reset).
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
import struct
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

_CHUNK = 64 * 1024
_SIGNATURE_PARAM = re.compile(r"signature=[^&\s'\"]*")
_HTML_STATUS_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclasses.dataclass
class Reply:
    """An HTTP answer. ``file`` streams from disk instead of ``body``; ``truncate`` sends
    half of it and closes; ``reset`` answers with a TCP RST instead."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    file: Path | None = None
    truncate: bool = False
    reset: bool = False


def json_reply(status: int, payload: object, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return Reply(status, body, headers=headers or {})


def error_reply(status: int, error: str, message: str) -> Reply:
    return json_reply(status, {"error": error, "message": message})


def xml_error(status: int, reason: str) -> Reply:
    """An S3-style error document; ``reason`` is ``Code:Message``."""
    code, _, message = reason.partition(":")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    ).encode()
    return Reply(status, body, content_type="application/xml")


def html_page(status: int) -> bytes:
    """The error page a reverse proxy in front of the API would send."""
    title = f"{status} {_HTML_STATUS_TEXT.get(status, 'Error')}"
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head>"
        f"<body><center><h1>{title}</h1></center><hr><center>nginx</center></body></html>"
    ).encode()


class WireApp(Protocol):
    """What the server needs of the application behind it."""

    @property
    def verbose(self) -> bool: ...

    @property
    def api_key(self) -> str: ...

    def dispatch(self, method: str, raw_path: str, headers: Any, body: bytes) -> Reply: ...


class WireServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # A client may open dozens of connections at once; the default backlog of 5 drops some.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: WireApp) -> None:
        self.app = app
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients under test hang up mid-request all the time; that is not worth a traceback.
        if self.app.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LangdockEmulator/1.0"
    sys_version = ""
    # Idle keep-alive connections must not pin a thread forever.
    timeout = 120
    # Headers and body go out in separate writes; with Nagle on, delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True
    server: WireServer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            reply = self.server.app.dispatch(method, self.path, self.headers, body)
        except Exception as exc:  # a bug in the emulator must not look like a network fault
            traceback.print_exc(file=sys.stderr)
            reply = error_reply(500, "Internal Server Error", type(exc).__name__)
        try:
            self._send(reply)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _send(self, reply: Reply) -> None:
        if reply.reset:
            # SO_LINGER 0 turns close() into a TCP RST; the real close happens once the
            # handler's file objects are released right after this method returns.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            self._log_line(0)
            return
        length = reply.file.stat().st_size if reply.file is not None else len(reply.body)
        self._send_head(reply, length)
        limit = length // 2 if reply.truncate else length
        if reply.file is None:
            self.wfile.write(reply.body[:limit])
            return
        with reply.file.open("rb") as source:
            remaining = limit
            while remaining > 0:
                chunk = source.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)

    def _send_head(self, reply: Reply, length: int) -> None:
        self.send_response(reply.status)
        content_type = reply.content_type
        if content_type.startswith(("application/json", "text/")) and "charset" not in content_type:
            content_type += "; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self._log_line(code)

    def _log_line(self, code: int | str) -> None:
        # The query string carries the URL signature, so only the path is ever logged.
        if self.server.app.verbose:
            path = urlsplit(self.path).path
            sys.stderr.write(f"{self.command} {path} -> {code}\n")

    def log_message(self, format: str, *args: Any) -> None:
        app = self.server.app
        if app.verbose:
            # Error messages quote the raw request line, which may carry a URL signature.
            text = _SIGNATURE_PARAM.sub("signature=***", format % args)
            sys.stderr.write(f"emulator: {text.replace(app.api_key, '***')}\n")
