"""Routes per API: each API module lists its routes, the router tries them in order.

Adding an API is a new module whose object has ``routes()``, plus one entry in the list the
``Emulator`` hands to the router; no existing class grows.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from langdock_emulator.wire import Reply, error_reply


class Answer(Protocol):
    """Any reply shape an API returns: `wire.Reply`, or one of its own such as `AuditReply`."""

    @property
    def status(self) -> int: ...

    @property
    def body(self) -> bytes: ...

    @property
    def content_type(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def reset(self) -> bool: ...


@dataclasses.dataclass(frozen=True)
class Request:
    """One request as a route handler sees it; ``match`` is the route's path match."""

    method: str
    path: str
    match: re.Match[str]
    query: str
    headers: Any
    body: bytes


@dataclasses.dataclass(frozen=True)
class Route:
    """``pattern`` must match the whole path. With ``methods`` set, other methods fall
    through to later routes; without, the handler answers every method itself (e.g. 405)."""

    pattern: re.Pattern[str]
    handler: Callable[[Request], Answer]
    methods: frozenset[str] | None = None


class Api(Protocol):
    def routes(self) -> Sequence[Route]: ...


def as_reply(answer: Answer) -> Reply:
    if isinstance(answer, Reply):
        return answer
    return Reply(
        answer.status,
        answer.body,
        answer.content_type,
        dict(answer.headers),
        reset=answer.reset,
    )


class Router:
    def __init__(self, apis: Sequence[Api]) -> None:
        self._routes = [route for api in apis for route in api.routes()]

    def dispatch(self, method: str, raw_path: str, headers: Any, body: bytes) -> Reply:
        split = urlsplit(raw_path)
        path = split.path
        for route in self._routes:
            if route.methods is not None and method not in route.methods:
                continue
            match = route.pattern.fullmatch(path)
            if match is not None:
                request = Request(method, path, match, split.query, headers, body)
                return as_reply(route.handler(request))
        return error_reply(404, "Not Found", f"No route for {path}")
