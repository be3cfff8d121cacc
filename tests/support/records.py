"""Comparing the records of two runs by primary key, as an upserting target would see them."""

from __future__ import annotations

import typing as t

from tests.support.contract import KEYS


def keyed(
    records: t.Iterable[dict[str, t.Any]], stream: str
) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """Records by primary key (later records replace earlier ones, as an upserting target)."""
    return {tuple(r[k] for k in KEYS[stream]): r for r in records}


def duplicate_keys(records: t.Iterable[dict[str, t.Any]], stream: str) -> int:
    keys = [tuple(r[k] for k in KEYS[stream]) for r in records]
    return len(keys) - len(set(keys))


def record_differences(
    expected: dict[str, list[dict[str, t.Any]]], got: dict[str, list[dict[str, t.Any]]]
) -> list[str]:
    """Human-readable differences by stream, key and value (empty: equal)."""
    problems = []
    for stream in sorted(set(expected) | set(got)):
        want, have = keyed(expected.get(stream, []), stream), keyed(got.get(stream, []), stream)
        missing = sorted(set(want) - set(have), key=str)
        extra = sorted(set(have) - set(want), key=str)
        changed = [k for k in want.keys() & have.keys() if want[k] != have[k]]
        if missing:
            problems.append(f"{stream}: {len(missing)} key(s) missing, e.g. {missing[0]}")
        if extra:
            problems.append(f"{stream}: {len(extra)} unexpected key(s), e.g. {extra[0]}")
        if changed:
            problems.append(f"{stream}: {len(changed)} key(s) with other values, e.g. {changed[0]}")
    return problems
