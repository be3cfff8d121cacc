"""Export files on disk behind signed, expiring URLs, like an S3/GCS presigned download."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import hmac
import math
import secrets
import shutil
import tempfile
import threading
import time
from pathlib import Path

# Files outlive their URLs a little so a download that started just in time can finish.
_GRACE_SECONDS = 60.0


@dataclasses.dataclass(frozen=True)
class IssuedFile:
    """One export file as the emulator handed it out, for tests (``Emulator.issued_files()``).

    ``download_url`` is what the envelope carried (None when a fault left it out); it and
    ``signature`` are secrets the client under test must never log.
    """

    file_id: str
    export_type: str
    rows: int
    file_path: str
    download_url: str | None
    expires: int
    """The URL's ``expires`` parameter (seconds since the epoch)."""
    signature: str
    expires_at: float
    """When the file itself expires (plus a short grace for downloads under way)."""


@dataclasses.dataclass
class StoredFile:
    file_id: str
    path: Path
    export_type: str
    rows: int
    expires_at: float
    gzip_path: Path | None = None


class FileStore:
    """Owns a temporary directory; everything in it is deleted on expiry or close."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._issued_count = 0
        self._dir = Path(tempfile.mkdtemp(prefix="langdock-emulator-"))
        # Random per process: signatures only need to be unforgeable by the client under test.
        self._secret = secrets.token_bytes(32)
        self._files: dict[str, StoredFile] = {}
        self._issued: list[IssuedFile] = []
        self._lock = threading.Lock()

    def new_id(self) -> str:
        # Derived from the seed and issue order so that runs (and fault logs) are repeatable;
        # the signature, not the id, is what keeps URLs unguessable.
        with self._lock:
            self._issued_count += 1
            issued = self._issued_count
        return hashlib.blake2b(f"{self._seed}:{issued}".encode(), digest_size=16).hexdigest()

    def path_for(self, file_id: str) -> Path:
        return self._dir / f"{file_id}.csv"

    def register(self, file_id: str, export_type: str, rows: int, ttl_seconds: float) -> StoredFile:
        stored = StoredFile(
            file_id, self.path_for(file_id), export_type, rows, time.time() + ttl_seconds
        )
        with self._lock:
            self._files[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(file_id)

    def sign(self, file_id: str, expires: int) -> str:
        message = f"{file_id}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def signed(self, stored: StoredFile, *, expired: bool = False) -> tuple[int, str]:
        """(expires, signature) of a URL for the file; ``expired`` makes one already past."""
        expires = int(time.time()) - 1 if expired else math.ceil(stored.expires_at)
        return expires, self.sign(stored.file_id, expires)

    def record(self, issued: IssuedFile) -> None:
        with self._lock:
            self._issued.append(issued)

    def issued(self) -> tuple[IssuedFile, ...]:
        """Every file handed out since construction or the last ``clear``, oldest first."""
        with self._lock:
            return tuple(self._issued)

    def check(self, file_id: str, expires: str | None, signature: str | None) -> str | None:
        """None when the URL is valid now, else the S3-style (code, message) reason."""
        if not expires or not signature:
            return "AccessDenied:Query-string authentication requires the signature"
        try:
            expires_at = int(expires)
        except ValueError:
            return "AccessDenied:Invalid date (should be seconds since epoch)"
        if not hmac.compare_digest(self.sign(file_id, expires_at), signature):
            return (
                "SignatureDoesNotMatch:The request signature we calculated does not match "
                "the signature you provided"
            )
        stored = self.get(file_id)
        now = time.time()
        if now > expires_at or (stored is not None and now > stored.expires_at):
            return "AccessDenied:Request has expired"
        return None

    def gzip_path(self, stored: StoredFile) -> Path:
        """The file compressed once, on first use, so Content-Length can be exact."""
        with self._lock:
            if stored.gzip_path is None or not stored.gzip_path.exists():
                target = stored.path.with_suffix(".csv.gz")
                with stored.path.open("rb") as source, gzip.open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
                stored.gzip_path = target
            return stored.gzip_path

    def sweep(self) -> None:
        now = time.time()
        with self._lock:
            stale = [f for f in self._files.values() if now > f.expires_at + _GRACE_SECONDS]
            for stored in stale:
                del self._files[stored.file_id]
        for stored in stale:
            _unlink(stored)

    def clear(self) -> None:
        with self._lock:
            files = list(self._files.values())
            self._files.clear()
            self._issued.clear()
        for stored in files:
            _unlink(stored)

    def close(self) -> None:
        self.clear()
        shutil.rmtree(self._dir, ignore_errors=True)


def _unlink(stored: StoredFile) -> None:
    for path in (stored.path, stored.gzip_path):
        if path is not None:
            path.unlink(missing_ok=True)
