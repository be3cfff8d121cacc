"""A local OAuth token endpoint, so Google's client libraries never call Google.

google-auth exchanges a ``service_account`` credential for a token by POSTing a signed JWT to
the credential's ``token_uri``; pointed here, it gets a fixed bearer token that the emulator
ignores. (An ``authorized_user`` file would not do: google-auth 2.x always sends those to
oauth2.googleapis.com, whatever their token_uri says.) The key is made up on the spot.
"""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

_ANSWER = json.dumps({"access_token": "emulator", "expires_in": 3600, "token_type": "Bearer"})


class _TokenHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = _ANSWER.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet: one line per load job would drown the run's output


class TokenStub:
    """A token endpoint on 127.0.0.1 in a daemon thread, and the credential file that uses it."""

    def __init__(self) -> None:
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TokenHandler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/token"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def write_credentials(self, path: Path, project: str) -> Path:
        """A throwaway service-account key file (GOOGLE_APPLICATION_CREDENTIALS) for it."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        info = {
            "type": "service_account",
            "project_id": project,
            "private_key_id": "emulator",
            "private_key": pem,
            "client_email": f"emulator@{project}.iam.gserviceaccount.com",
            "client_id": "emulator",
            "token_uri": self.url,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(info), encoding="utf-8")
        path.chmod(0o600)
        return path

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
