"""The usage primitive: a count per (export type, entity, 15-minute UTC bucket).

Every IANA offset is a multiple of 15 minutes, so any local window maps onto whole buckets
and sums stay exact. Whether an entity is busy follows its day, then its hour, then the
bucket, each a pure function of the seed.
"""

from __future__ import annotations

import datetime as dt
import functools

from langdock_emulator.dates import UTC
from langdock_emulator.mixing import M64, hash_ints, mix

BUCKET_SECONDS = 900
BUCKETS_PER_HOUR = 4
BUCKETS_PER_DAY = 96
_BUCKET_US = BUCKET_SECONDS * 1_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = dt.date(1970, 1, 1)

# Stable per type so that adding a type never shifts another type's data.
TYPE_CODE = {"projects": 1, "users": 2, "agents": 3, "api-keys": 4, "models": 5, "workflows": 6}
# Upper bound of a non-zero bucket; api-keys and models see machine traffic, workflows few runs.
SCALE = {"projects": 6, "users": 8, "agents": 5, "api-keys": 40, "models": 60, "workflows": 2}


@functools.lru_cache(maxsize=4096)
def entity_base(seed: int, canonical_type: str, index: int) -> int:
    return hash_ints(seed, TYPE_CODE[canonical_type], index)


def day_active(base: int, day: int) -> bool:
    # One in five entities is "lazy" and sits idle on most days.
    idle_pct = 75 if (base >> 8) % 5 == 0 else 15
    return mix(base ^ ((day * 0xD6E8FEB86659FD93) & M64)) % 100 >= idle_pct


def hour_active(base: int, hour: int) -> bool:
    hour_of_day = hour % 24
    busy_pct = 55 if 7 <= hour_of_day < 18 else 10
    return mix(base ^ ((hour * 0xA0761D6478BD642F + 1) & M64)) % 100 < busy_pct


def bucket_value(base: int, bucket: int, scale: int) -> int:
    roll = mix(base ^ ((bucket * 0xE7037ED1A0B428DB + 2) & M64))
    if roll % 5 == 0:
        return 0
    return 1 + (roll >> 8) % scale


def bucket_count(seed: int, canonical_type: str, index: int, bucket: int) -> int:
    """Usage of one entity in one 15-minute bucket, ignoring quiet days."""
    base = entity_base(seed, canonical_type, index)
    if not day_active(base, bucket // BUCKETS_PER_DAY):
        return 0
    if not hour_active(base, bucket // BUCKETS_PER_HOUR):
        return 0
    return bucket_value(base, bucket, SCALE[canonical_type])


def _micros(value: dt.datetime) -> int:
    return (value - _EPOCH) // dt.timedelta(microseconds=1)


def bucket_range(from_utc: dt.datetime, to_utc: dt.datetime) -> range:
    """Indices of the buckets whose start t satisfies from_utc <= t <= to_utc."""
    first = -(-_micros(from_utc) // _BUCKET_US)
    last = _micros(to_utc) // _BUCKET_US
    return range(first, last + 1)


def quiet_day_numbers(quiet_days: set[str]) -> frozenset[int]:
    numbers = set()
    for text in quiet_days:
        try:
            numbers.add((dt.date.fromisoformat(text) - _EPOCH_DATE).days)
        except ValueError:
            continue
    return frozenset(numbers)


def window_totals(
    seed: int, canonical_type: str, count: int, buckets: range, quiet: frozenset[int]
) -> dict[int, int]:
    """Primary count per entity index (only non-zero), skipping idle days and hours wholesale."""
    totals: dict[int, int] = {}
    if not buckets:
        return totals
    first, last = buckets[0], buckets[-1]
    scale = SCALE[canonical_type]
    for index in range(count):
        base = entity_base(seed, canonical_type, index)
        total = 0
        for day in range(first // BUCKETS_PER_DAY, last // BUCKETS_PER_DAY + 1):
            if day in quiet or not day_active(base, day):
                continue
            hour_lo = max(first // BUCKETS_PER_HOUR, day * 24)
            hour_hi = min(last // BUCKETS_PER_HOUR, day * 24 + 23)
            for hour in range(hour_lo, hour_hi + 1):
                if not hour_active(base, hour):
                    continue
                lo = max(first, hour * BUCKETS_PER_HOUR)
                hi = min(last, hour * BUCKETS_PER_HOUR + BUCKETS_PER_HOUR - 1)
                for bucket in range(lo, hi + 1):
                    total += bucket_value(base, bucket, scale)
        if total:
            totals[index] = total
    return totals
