"""``with`` support shared by the emulators: leaving the block closes the server and its files."""

from __future__ import annotations

import typing as t
from types import TracebackType

_Self = t.TypeVar("_Self", bound="Closing")


class Closing:
    """A base for objects whose ``close()`` stops a server; ``with`` calls it on the way out."""

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError
