"""The Workflow API's HTTP, and nothing else: one keyed session, one GET per page.

The session carries the key as a Bearer header; requests go only to Langdock's API host.
Every `requests` exception becomes a `NoAnswer` here, with a reason that names the failure
by its type only: an exception's text may hold the URL. The page logic (`workflow.pages`)
sees `PageReply` and `NoAnswer`, never `requests`.
"""

from __future__ import annotations

import types

import requests

from tap_langdock import retries

# The audit log's answer shapes and Bearer auth: the same for every keyed JSON API.
from tap_langdock.audit.transport import BearerKey, NoAnswer, PageReply
from tap_langdock.export.transport import never_connected, read_limited

__all__ = ["MAX_PAGE_BYTES", "NoAnswer", "PageReply", "WorkflowHttp"]

MAX_PAGE_BYTES = 32 * 1024 * 1024


class WorkflowHttp:
    """GET pages under ``api_url``; a context manager that closes its session."""

    def __init__(self, *, api_url: str, key: str, user_agent: str, timeout: float) -> None:
        self.api_url = api_url
        self._headers = {"Accept": "application/json", "User-Agent": user_agent}
        self.timeout = timeout
        self._session = requests.Session()
        self._session.auth = BearerKey(key)

    def get(self, path: str, query: list[tuple[str, str]]) -> PageReply | NoAnswer:
        """One page request, its body read up to `MAX_PAGE_BYTES`."""
        try:
            response = self._session.get(
                self.api_url + path,
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

    def __enter__(self) -> WorkflowHttp:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: types.TracebackType | None,
    ) -> None:
        self.close()
