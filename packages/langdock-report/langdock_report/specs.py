"""Vega-Lite specifications of the report's charts, as plain dicts (rendered in the page).

Dates travel as ISO strings and are read and shown in UTC (``utc*`` time units and formats):
they are local days of the export time zone already, and the viewer's own zone must not
shift them by a day.
"""

from __future__ import annotations

import datetime as dt
import typing as t

Spec = dict[str, t.Any]

FONT = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
    "'Liberation Sans', sans-serif"
)
# Tableau 10: distinct at a glance, readable for the common colour-vision deficiencies.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
SURFACES = ("Chat", "Agents", "Projects")
SURFACE_COLOURS = (PALETTE[0], PALETTE[1], PALETTE[2])
USERS_COLOUR = PALETTE[0]
SEEN_COLOUR = "#c6d4e6"
AGENT_COLOUR = PALETTE[1]
PROJECT_COLOUR = PALETTE[2]
KEY_COLOUR = PALETTE[4]
COST_COLOUR = PALETTE[6]
WORKFLOW_COLOUR = PALETTE[5]

CONFIG: Spec = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": "normal",
        "titleColor": "#5b6170",
        "labelColor": "#3c4250",
        "gridColor": "#eceef2",
        "domainColor": "#c8ccd4",
        "tickColor": "#c8ccd4",
    },
    "legend": {
        "orient": "top",
        "direction": "horizontal",
        "labelFontSize": 12,
        "symbolType": "square",
        "title": None,
    },
}
DAY_FORMAT = "%a %-d %b %Y"
COUNT = ",d"
MONEY = "$,.2f"
BAR_STEP = 24
_EPOCH = dt.date(1970, 1, 1)


def _base(values: list[dict[str, t.Any]], height: int, description: str) -> Spec:
    return {
        "description": description,
        "width": "container",
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": CONFIG,
        "data": {"values": values},
    }


def day_ticks(first: dt.date, last: dt.date) -> tuple[list[int], str]:
    """Tick values inside the period (UTC ms at noon: the middle of a day's bar) and format.

    Every day for two weeks, Mondays up to about ten weeks, else the first of the month
    (every second month beyond seven months).
    """
    days = (last - first).days + 1
    if days <= 16:
        picked = [first + dt.timedelta(days=i) for i in range(days)]
        return [_noon_ms(d) for d in picked], "%-d %b"
    if days <= 75:
        monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
        picked = [monday + dt.timedelta(days=7 * i) for i in range((last - monday).days // 7 + 1)]
        return [_noon_ms(d) for d in picked], "%-d %b"
    step = 1 if days <= 220 else 2
    picked, month = [], dt.date(first.year, first.month, 1)
    while month <= last:
        if month >= first and (month.month - 1) % step == 0:
            picked.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return [_noon_ms(d) for d in picked], "%b %Y"


def _noon_ms(day: dt.date) -> int:
    return (day - _EPOCH).days * 86_400_000 + 43_200_000


def _day_axis(timezone: str, first: dt.date, last: dt.date) -> Spec:
    ticks, label_format = day_ticks(first, last)
    return {
        "field": "day",
        "type": "temporal",
        "timeUnit": "utcyearmonthdate",
        # Points of lines sit mid-day too, like the middle of a bar, so both meet the ticks.
        "bandPosition": 0.5,
        "title": f"Day ({timezone})",
        "axis": {
            "values": ticks,
            "format": label_format,
            "labelOverlap": "greedy",
            "labelSeparation": 6,
            "grid": False,
        },
    }


def _day_tooltip() -> Spec:
    return {
        "field": "day",
        "type": "temporal",
        "timeUnit": "utcyearmonthdate",
        "title": "Day",
        "format": DAY_FORMAT,
    }


def _count(field: str, title: str) -> Spec:
    return {"field": field, "type": "quantitative", "title": title, "format": COUNT}


def _money(field: str, title: str) -> Spec:
    return {"field": field, "type": "quantitative", "title": title, "format": MONEY}


def messages_by_surface(
    values: list[dict[str, t.Any]], timezone: str, first: dt.date, last: dt.date
) -> Spec:
    spec = _base(values, 280, "Messages per day, stacked by surface")
    spec["mark"] = {"type": "bar"}
    spec["encoding"] = {
        "x": _day_axis(timezone, first, last),
        "y": {
            "field": "messages",
            "type": "quantitative",
            "stack": "zero",
            "title": "Messages per day",
            "axis": {"format": COUNT},
        },
        "color": {
            "field": "surface",
            "type": "nominal",
            "scale": {"domain": list(SURFACES), "range": list(SURFACE_COLOURS)},
        },
        "order": {"field": "surface_order", "type": "quantitative"},
        "tooltip": [
            _day_tooltip(),
            {"field": "surface", "title": "Surface"},
            _count("messages", "Messages"),
            _count("day_total", "All surfaces"),
        ],
    }
    return spec


def active_users_daily(
    values: list[dict[str, t.Any]], timezone: str, first: dt.date, last: dt.date
) -> Spec:
    spec = _base(values, 240, "Active users per day")
    x = _day_axis(timezone, first, last)
    y = {
        "field": "active_users",
        "type": "quantitative",
        "title": "Active users",
        "axis": {"format": COUNT, "tickMinStep": 1},
    }
    # Over a few months, dots would blur into a band: they stay as invisible hover targets.
    dots: Spec = {"size": 36} if len(values) <= 92 else {"size": 60, "opacity": 0}
    spec["layer"] = [
        {"mark": {"type": "line", "color": USERS_COLOUR, "strokeWidth": 2}},
        {
            "mark": {"type": "point", "filled": True, "color": USERS_COLOUR, **dots},
            "encoding": {"tooltip": [_day_tooltip(), _count("active_users", "Active users")]},
        },
    ]
    spec["encoding"] = {"x": x, "y": y}
    return spec


def active_users_weekly(values: list[dict[str, t.Any]]) -> Spec:
    spec = _base(values, 240, "Distinct active users per ISO week")
    spec["mark"] = {"type": "bar", "color": USERS_COLOUR, "cornerRadiusEnd": 2}
    spec["encoding"] = {
        "x": {
            "field": "week_start",
            "type": "ordinal",
            "title": "Week (Monday to Sunday)",
            "axis": {
                # At most about twelve labels: every week for a quarter, fewer beyond.
                "values": [row["week_start"] for row in values][:: max(1, -(-len(values) // 12))],
                "labelExpr": "utcFormat(toDate(datum.value), '%-d %b')",
                "labelAngle": 0,
                "labelOverlap": "greedy",
            },
        },
        "y": {
            "field": "active_users",
            "type": "quantitative",
            "title": "Active users in the week",
            "axis": {"format": COUNT, "tickMinStep": 1},
        },
        # Weeks cut by the period's edges hold fewer days: lighter, so they are not misread.
        "opacity": {"condition": {"test": "datum.days_in_period < 7", "value": 0.45}, "value": 1},
        "tooltip": [
            {"field": "week_label", "title": "Week"},
            _count("active_users", "Active users"),
            _count("days_in_period", "Days in the period"),
        ],
    }
    return spec


def departments(values: list[dict[str, t.Any]]) -> Spec:
    order = [row["department"] for row in values]
    spec = _base(values, BAR_STEP * max(len(values), 1), "Users seen and active per department")
    tooltip = [
        {"field": "department", "title": "Department"},
        _count("users_seen", "Users seen"),
        _count("active_users", "Active in the period"),
        {"field": "adoption", "type": "quantitative", "title": "Adoption", "format": ".0%"},
        _count("messages", "Messages"),
    ]
    y = {"field": "department", "type": "nominal", "sort": order, "title": None}
    spec["encoding"] = {"y": y, "tooltip": tooltip}
    spec["layer"] = [
        {
            "mark": {"type": "bar", "color": SEEN_COLOUR, "cornerRadiusEnd": 2},
            "encoding": {"x": {**_count("users_seen", "Users"), "axis": {"tickMinStep": 1}}},
        },
        {
            "mark": {"type": "bar", "color": USERS_COLOUR, "cornerRadiusEnd": 2, "height": 12},
            "encoding": {"x": {"field": "active_users", "type": "quantitative"}},
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11, "color": "#3c4250"},
            "encoding": {
                "x": {"field": "users_seen", "type": "quantitative"},
                "text": {"field": "adoption", "type": "quantitative", "format": ".0%"},
            },
        },
    ]
    return spec


def ranked_bars(
    values: list[dict[str, t.Any]],
    *,
    measure: tuple[str, str],
    colour: str | tuple[str, list[str]],
    tooltip: list[Spec],
    description: str,
    legend: bool = True,
) -> Spec:
    """Horizontal bars, largest first, one per row's unique ``label``.

    ``colour`` is one colour, or (field, domain) to colour by a category such as the provider.
    """
    field, title = measure
    spec = _base(values, BAR_STEP * max(len(values), 1), description)
    money = field.endswith("_usd")
    spec["mark"] = {"type": "bar", "cornerRadiusEnd": 2}
    encoding: Spec = {
        "y": {
            "field": "label",
            "type": "nominal",
            "sort": [row["label"] for row in values],
            "title": None,
            "axis": {"labelLimit": 220},
        },
        "x": {
            "field": field,
            "type": "quantitative",
            "title": title,
            "axis": {
                "format": "$,.0f" if money else COUNT,
                "tickCount": 5,
                "labelOverlap": "greedy",
                "labelSeparation": 6,
            },
        },
        "tooltip": tooltip,
    }
    if isinstance(colour, str):
        spec["mark"]["color"] = colour
    else:
        category, domain = colour
        palette = [PALETTE[i % len(PALETTE)] for i in range(len(domain))]
        encoding["color"] = {
            "field": category,
            "type": "nominal",
            "title": "Provider",
            "scale": {"domain": domain, "range": palette},
        }
        if not legend:  # the bars' own labels already name the categories
            encoding["color"]["legend"] = None
    spec["encoding"] = encoding
    return spec


def count_tip(field: str, title: str) -> Spec:
    return _count(field, title)


def money_tip(field: str, title: str) -> Spec:
    return _money(field, title)


def decimal_tip(field: str, title: str) -> Spec:
    return {"field": field, "type": "quantitative", "title": title, "format": ",.1f"}


def text_tip(field: str, title: str) -> Spec:
    return {"field": field, "title": title}
