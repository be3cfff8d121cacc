"""Names that moved into the standard library after Python 3.10."""

import sys

if sys.version_info >= (3, 12):
    from typing import override
else:  # pragma: no cover - exercised on 3.10 and 3.11
    from typing_extensions import override

__all__ = ["override"]
