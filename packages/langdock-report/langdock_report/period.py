"""The report period: which days and which time zone every figure covers."""

from __future__ import annotations

import dataclasses
import datetime as dt

from langdock_report import queries
from langdock_report.errors import ReportError
from langdock_report.warehouse import Warehouse

# Headline changes compare the period's last days with as many days before them: a week for
# periods of two weeks or more, four weeks once the period holds eight.
_SHORT_COMPARE, _LONG_COMPARE = 7, 28


@dataclasses.dataclass(frozen=True)
class Period:
    timezone: str
    first_day: dt.date
    last_day: dt.date
    loaded_first: dt.date
    loaded_last: dt.date
    workspaces: int
    # 1 for the tap's default window=day; 7 or ~31 when it loaded week or month windows.
    window_days: int
    other_timezones: tuple[str, ...] = ()

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def compare_days(self) -> int | None:
        if self.window_days > 1:
            return None  # one row per week or month: day ranges would cut windows apart
        if self.days >= 2 * _LONG_COMPARE:
            return _LONG_COMPARE
        if self.days >= 2 * _SHORT_COMPARE:
            return _SHORT_COMPARE
        return None

    def params(self, top: int) -> dict[str, object]:
        """The named parameters of every query in ``sql/``."""
        recent: tuple[dt.date | None, dt.date | None] = (None, None)
        before: tuple[dt.date | None, dt.date | None] = (None, None)
        if self.compare_days:
            span = dt.timedelta(days=self.compare_days)
            recent = (self.last_day - span + dt.timedelta(days=1), self.last_day)
            before = (self.last_day - 2 * span + dt.timedelta(days=1), self.last_day - span)
        return {
            "tz": self.timezone,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "recent_first": recent[0],
            "recent_last": recent[1],
            "before_first": before[0],
            "before_last": before[1],
            "top": top,
        }


def check_marts(warehouse: Warehouse) -> None:
    missing = [name for name in queries.MARTS if name not in warehouse.tables()]
    if missing:
        where = f"{warehouse.schema} in the {warehouse.label}"
        msg = (
            f"{where} lacks the mart(s) {', '.join(missing)}: build them with dbt "
            "(`make run`, or `meltano invoke dbt:build`), or pass --schema"
        )
        raise ReportError(msg)


def resolve_period(
    warehouse: Warehouse, first_day: dt.date | None, last_day: dt.date | None
) -> Period:
    """The period asked for (default: every loaded day) in the time zone of the latest data."""
    zones = queries.run(warehouse, "loaded_range", {})
    if not zones:
        msg = (
            f"{warehouse.schema}.workspace_usage_daily in the {warehouse.label} is empty: "
            "load usage first (`make run`)"
        )
        raise ReportError(msg)
    latest = zones[0]
    loaded_first, loaded_last = latest["first_day"], latest["last_day"]
    first = first_day or loaded_first
    last = last_day or loaded_last
    if first > last:
        msg = f"--from {first} is after --to {last}: give a first day on or before the last"
        raise ReportError(msg)
    if last < loaded_first or first > loaded_last:
        msg = (
            f"no usage between {first} and {last}: the marts hold {loaded_first} to "
            f"{loaded_last} ({latest['window_timezone']}); change --from/--to"
        )
        raise ReportError(msg)
    return Period(
        timezone=str(latest["window_timezone"]),
        # Days outside the loaded ones would only dilute averages and mislead the day count.
        first_day=max(first, loaded_first),
        last_day=min(last, loaded_last),
        loaded_first=loaded_first,
        loaded_last=loaded_last,
        workspaces=int(latest["workspaces"]),
        window_days=int(latest["longest_window_days"]),
        other_timezones=tuple(str(zone["window_timezone"]) for zone in zones[1:]),
    )
