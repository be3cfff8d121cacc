"""The Workflow API's HTTP, and nothing else: one keyed session, one GET per page.

The session carries the key as a Bearer header; requests go only to Langdock's API host.
Every `requests` exception becomes a `NoAnswer` here, with a reason that names the failure
by its type only: an exception's text may hold the URL. The page logic (`workflow.pages`)
sees `PageReply` and `NoAnswer`, never `requests`.
"""

from __future__ import annotations

# The audit log's keyed JSON session and answer shapes: the same for every keyed JSON API.
from tap_langdock.audit.transport import MAX_PAGE_BYTES, KeyedJsonHttp, NoAnswer, PageReply

__all__ = ["MAX_PAGE_BYTES", "NoAnswer", "PageReply", "WorkflowHttp"]


class WorkflowHttp(KeyedJsonHttp):
    """GET pages under ``api_url``."""

    def __init__(self, *, api_url: str, key: str, user_agent: str, timeout: float) -> None:
        super().__init__(key=key, user_agent=user_agent, timeout=timeout)
        self.api_url = api_url

    def get(self, path: str, query: list[tuple[str, str]]) -> PageReply | NoAnswer:
        """One page request under ``api_url``."""
        return self.fetch(self.api_url + path, query)
