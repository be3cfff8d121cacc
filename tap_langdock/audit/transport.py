"""The audit log's HTTP, and nothing else: one keyed session, one GET per page.

The session carries the key as a Bearer header; requests go only to Langdock's API host
(audit pages have no download links). Every `requests` exception becomes a `NoAnswer` here,
with a reason that names the failure by its type only: an exception's text may hold the URL.
The page logic (`audit.pages`) sees `PageReply` and `NoAnswer`, never `requests`.
"""

from __future__ import annotations

import types
from dataclasses import dataclass

import requests

from tap_langdock import retries

# The export path's reading of bodies and connection failures, shared.
from tap_langdock.export.transport import never_connected, read_limited

MAX_PAGE_BYTES = 32 * 1024 * 1024


class BearerKey(requests.auth.AuthBase):
    """``Authorization: Bearer <key>``, with a repr that does not show the key."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._key}"
        return request

    def __repr__(self) -> str:
        return "BearerKey(***)"


@dataclass(frozen=True)
class PageReply:
    """Langdock's HTTP answer to one page request (``body`` None: larger than the limit)."""

    status: int
    body: bytes | None
    retry_after: float | None


@dataclass(frozen=True)
class NoAnswer:
    """No (whole) HTTP answer came back; worth another try within the retry budget."""

    reason: str
    never_connected: bool = False
    """The connection was never made (refused, unknown host): a wrong api_url looks so."""


class AuditApi:
    """GET pages of one workspace's audit log; a context manager that closes its session."""

    def __init__(self, *, url: str, key: str, user_agent: str, timeout: float) -> None:
        self.url = url
        self._headers = {"Accept": "application/json", "User-Agent": user_agent}
        self.timeout = timeout
        self._session = requests.Session()
        self._session.auth = BearerKey(key)

    def get_page(self, query: list[tuple[str, str]]) -> PageReply | NoAnswer:
        """One page request, its body read up to `MAX_PAGE_BYTES`."""
        try:
            response = self._session.get(
                self.url,
                params=query,
                headers=self._headers,
                timeout=(min(self.timeout, 60), self.timeout),
                stream=True,
            )
            with response:
                body = read_limited(response, MAX_PAGE_BYTES)
                retry_after = retries.parse_retry_after(response.headers.get("Retry-After"))
                return PageReply(response.status_code, body, retry_after)
        except requests.Timeout:
            return NoAnswer(f"Langdock did not answer within {self.timeout:.0f} s")
        except requests.ConnectionError as exc:
            if never_connected(exc):
                reason = f"cannot connect to Langdock ({type(exc).__name__})"
                return NoAnswer(reason, never_connected=True)
            return NoAnswer(f"connection to Langdock dropped ({type(exc).__name__})")
        except requests.RequestException as exc:
            return NoAnswer(f"request to Langdock failed ({type(exc).__name__})")

    def close(self) -> None:
        """Close the session and its connections."""
        self._session.close()

    def __enter__(self) -> AuditApi:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: types.TracebackType | None,
    ) -> None:
        self.close()
