"""The two HTTP sessions of the export path, per thread, and nothing else.

The API session carries the key to Langdock; the storage session fetches the signed file
with no credentials at all, so the key never reaches the storage host. Signed URLs are
bearer credentials: they are never logged, never put in an exception message, and never
passed to code that logs its arguments. Requests' sessions are not thread-safe, so each
thread that exports gets its own pair. Every `requests` exception becomes an `Answer`
here; the exporter never sees one.
"""

from __future__ import annotations

import threading
import typing as t
from dataclasses import dataclass

import requests
import urllib3

from tap_langdock import retries
from tap_langdock.export import protocol
from tap_langdock.export.protocol import Answer
from tap_langdock.sizes import human_size

DOWNLOAD_CHUNK = 1024 * 1024
_ENVELOPE_CHUNK = 64 * 1024

# What requests accepts as ``auth=``: the SDK's authenticators are plain callables.
Auth = t.Callable[[requests.PreparedRequest], requests.PreparedRequest]


@dataclass(frozen=True)
class Reply:
    """Langdock's answer to an export POST, read in full (``body`` None: too large)."""

    status: int
    body: bytes | None
    retry_after: float | None


class NoAuth(requests.auth.AuthBase):
    """Explicit "no credentials": also stops requests from reading ~/.netrc for the host."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class ExportApi:
    """POST an export to Langdock; GET the signed file from storage."""

    def __init__(
        self,
        *,
        url_base: str,
        auth: Auth,
        headers: t.Mapping[str, str],
        user_agent: str,
        timeout: float,
        reached: threading.Event,
    ) -> None:
        self.url_base = url_base
        self._auth = auth
        self._headers = {**headers, "Accept": "application/json"}
        self._headers.setdefault("User-Agent", user_agent)
        self._user_agent = user_agent
        self.timeout = timeout
        self._reached = reached
        """Set once any request of the run got an HTTP answer: api_url is right."""
        self._local = threading.local()

    def post_export(self, path: str, body: dict[str, t.Any]) -> Reply | Answer:
        """Send one export request; an `Answer` (RETRY) when no HTTP answer came back."""
        api, _ = self._sessions()
        try:
            response = api.post(
                self.url_base + path,
                json=body,
                headers=self._headers,
                auth=self._auth,
                timeout=self.timeout,
                stream=True,
            )
        except requests.RequestException as exc:
            return _failed_post(exc, self.timeout)
        self._reached.set()
        with response:
            try:
                content = read_limited(response, protocol.MAX_ENVELOPE_BYTES)
            except requests.RequestException as exc:
                return protocol.retry(f"Langdock's answer was cut off ({type(exc).__name__})")
            retry_after = retries.parse_retry_after(response.headers.get("Retry-After"))
            return Reply(response.status_code, content, retry_after)

    def download(self, url: str, sink: t.IO[bytes]) -> int | Answer:
        """Stream the signed file into ``sink``: the bytes received, or why not."""
        _, storage = self._sessions()
        timeout = self.timeout
        try:
            response = storage.get(
                url,
                stream=True,
                timeout=(min(timeout, 60), timeout),
                headers={"User-Agent": self._user_agent},
            )
        except requests.Timeout:
            return protocol.retry(f"the file storage did not answer within {timeout:.0f} s")
        except requests.RequestException as exc:
            return protocol.retry(f"connection to the file storage failed ({type(exc).__name__})")
        with response:
            retry_after = retries.parse_retry_after(response.headers.get("Retry-After"))
            answer = protocol.classify_download(response.status_code, retry_after)
            if answer.outcome is not protocol.Outcome.OK:
                return answer
            return _receive(response, sink)

    def close_thread_sessions(self) -> None:
        """Close the calling thread's sessions (a worker thread's last step)."""
        sessions = getattr(self._local, "sessions", None)
        self._local.sessions = None
        for session in sessions or ():
            session.close()

    def _sessions(self) -> tuple[requests.Session, requests.Session]:
        sessions = getattr(self._local, "sessions", None)
        if sessions is None:
            storage = requests.Session()
            storage.auth = NoAuth()
            sessions = self._local.sessions = (requests.Session(), storage)
        return t.cast("tuple[requests.Session, requests.Session]", sessions)


def _failed_post(exc: requests.RequestException, timeout: float) -> Answer:
    if isinstance(exc, requests.Timeout):
        return protocol.retry(f"Langdock did not answer within {timeout:.0f} s")
    if isinstance(exc, requests.ConnectionError):
        if never_connected(exc):
            reason = f"cannot connect to Langdock ({type(exc).__name__})"
            return protocol.retry(reason, unreachable=True)
        return protocol.retry(f"connection to Langdock dropped ({type(exc).__name__})")
    return protocol.retry(f"request to Langdock failed ({type(exc).__name__})")


def _receive(response: requests.Response, sink: t.IO[bytes]) -> int | Answer:
    # Content-Length counts encoded bytes; after gzip decoding only a length-less check
    # (recordCount) is possible.
    encoded = response.headers.get("Content-Encoding", "identity") != "identity"
    expected = None if encoded else _int_or_none(response.headers.get("Content-Length"))
    received = 0
    try:
        for chunk in response.iter_content(DOWNLOAD_CHUNK):
            sink.write(chunk)
            received += len(chunk)
    except requests.RequestException as exc:
        reason = f"the download was cut off after {human_size(received)} ({type(exc).__name__})"
        return protocol.retry(reason)
    if expected is not None and received != expected:
        return protocol.retry(f"the download was cut off: {received} of {expected} bytes")
    return received


def never_connected(exc: requests.ConnectionError) -> bool:
    """Whether the connection was never made (refused, name not found), not dropped later."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def read_limited(response: requests.Response, limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (then it is not read further)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_ENVELOPE_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
