"""Platform-independent hashing and pseudo-random streams behind every synthetic value.

``random.Random`` would tie the output to CPython's algorithm; these are fixed formulas, so
the same seed gives the same bytes on every platform, version and run.
"""

from __future__ import annotations

import functools
import hashlib

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix(x: int) -> int:
    """splitmix64 step: cheap, well distributed, and identical on every platform and run."""
    x = (x + GOLDEN) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def hash_ints(*parts: int) -> int:
    h = 0x243F6A8885A308D3
    for part in parts:
        h = mix(h ^ (part & M64))
    return h


@functools.lru_cache(maxsize=256)
def hash_text(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def uuid_like(*parts: int) -> str:
    text = f"{hash_ints(*parts, 1):016x}{hash_ints(*parts, 2):016x}"
    variant = "89ab"[int(text[16], 16) % 4]
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-{variant}{text[17:20]}-{text[20:32]}"


class Rng:
    """A splitmix64 stream."""

    def __init__(self, *parts: int) -> None:
        self._state = hash_ints(*parts)

    def next(self) -> int:
        self._state = (self._state + GOLDEN) & M64
        return mix(self._state)

    def below(self, n: int) -> int:
        return self.next() % n if n > 0 else 0

    def between(self, low: int, high: int) -> int:
        return low + self.below(high - low + 1)

    def partition(self, total: int, parts: int) -> list[int]:
        """``parts`` non-negative integers summing to ``total``."""
        cuts = sorted(self.below(total + 1) for _ in range(parts - 1))
        bounds = [0, *cuts, total]
        return [bounds[i + 1] - bounds[i] for i in range(parts)]
