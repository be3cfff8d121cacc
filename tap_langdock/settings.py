"""Settings: the config schema, and the checks the schema cannot express.

Everything here runs before the first request, so a bad value costs nothing but one line.
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import re
import typing as t
import urllib.parse
import zoneinfo
from dataclasses import dataclass

from singer_sdk import typing as th

from tap_langdock.errors import SettingsError
from tap_langdock.windows import Grain

DEFAULT_API_URL = "https://api.langdock.com"
PII_MODES = ("keep", "hash", "drop")
# The ceiling of the adaptive limit (concurrency.py), which starts at 4 and grows while
# Langdock keeps up. The limiter below allows 7.5 requests a second; at 5 s per export that
# pace needs ~38 in flight, and 48 leaves room for the ramp-up and up to ~6 s per export.
# Far more would ask an export backend of unknown capacity for a flood when exports take
# tens of seconds (30 s would need ~225 at once), should its warning signs fail.
DEFAULT_MAX_PARALLEL_EXPORTS = 48
DEFAULT_MAX_REQUESTS_PER_MINUTE = 450

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "api_key",
        th.StringType,
        required=True,
        secret=True,
        title="API key",
        description="Langdock API key with the USAGE_EXPORT_API scope (admins create it).",
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=DEFAULT_API_URL,
        title="API URL",
        description=(
            "Base URL of the Langdock API. Dedicated deployments use https://<host>/api/public."
        ),
    ),
    th.Property(
        "start_date",
        th.StringType,
        required=True,
        title="Start date",
        description=(
            "First local day exported, YYYY-MM-DD or an ISO date-time (its date part is used). "
            "Langdock keeps 12 months of history."
        ),
    ),
    th.Property(
        "end_date",
        th.StringType,
        title="End date",
        description=(
            "Last local day exported, inclusive. Default: yesterday in `timezone`, so an "
            "unfinished day is never exported or bookmarked."
        ),
    ),
    th.Property(
        "timezone",
        th.StringType,
        default="UTC",
        title="Time zone",
        description="IANA time zone name that defines local days, e.g. Europe/Berlin.",
    ),
    th.Property(
        "window",
        th.StringType,
        default=Grain.DAY.value,
        allowed_values=[g.value for g in Grain],
        title="Window",
        description=(
            "Length of one export, which is also the grain of the data: day, week (ISO weeks, "
            "Monday to Sunday) or month (calendar months)."
        ),
    ),
    th.Property(
        "lookback_windows",
        th.IntegerType,
        default=1,
        title="Lookback windows",
        description=(
            "Complete windows before the bookmark that every run exports again, for late "
            "data; targets upsert them on the primary key."
        ),
    ),
    th.Property(
        "pii",
        th.StringType,
        default="keep",
        allowed_values=list(PII_MODES),
        title="Personal data",
        description=(
            "What to do with e-mail and person-name columns: keep, hash (SHA-256 of the "
            "trimmed, lower-cased value) or drop (null). Ids are never changed."
        ),
    ),
    th.Property(
        "request_timeout",
        th.IntegerType,
        default=300,
        title="Request timeout",
        description=(
            "Seconds to wait for Langdock or the file storage to answer (connect and each "
            "read). Exports can take 30 s or more to be created."
        ),
    ),
    th.Property(
        "max_retry_seconds",
        th.IntegerType,
        default=900,
        title="Retry budget",
        description=(
            "Total seconds one window may spend retrying (rate limits, server errors, "
            "dropped connections) before the tap stops with what failed."
        ),
    ),
    th.Property(
        "max_parallel_exports",
        th.IntegerType,
        default=DEFAULT_MAX_PARALLEL_EXPORTS,
        title="Parallel exports",
        description=(
            "Most windows exported at the same time. The tap starts at 4 and adapts: more while "
            "Langdock answers steadily, fewer at once on HTTP 429, 5xx or rising latency. "
            "Rows and state still come out in window order. 1 exports one window after the "
            "other."
        ),
    ),
    th.Property(
        "max_requests_per_minute",
        th.IntegerType,
        default=DEFAULT_MAX_REQUESTS_PER_MINUTE,
        title="Requests per minute",
        description=(
            "Most export requests the tap starts in any minute, across all streams; keep it "
            "below Langdock's limit (500 per minute) so parallel exports never meet HTTP 429."
        ),
    ),
    th.Property(
        "workspace_id",
        th.StringType,
        title="Workspace ID",
        description=(
            "Id of the Langdock workspace: audit_logs reads its audit log (required when that "
            "stream is selected); workflows and workflow_runs records carry it."
        ),
    ),
    th.Property(
        "audit_log_api_key",
        th.StringType,
        secret=True,
        title="Audit log API key",
        description=(
            "Key with the AUDIT_LOG_API scope for the audit_logs stream. Default: api_key, so "
            "one key with both scopes serves both APIs."
        ),
    ),
    th.Property(
        "workflow_api_key",
        th.StringType,
        secret=True,
        title="Workflow API key",
        description=(
            "Workspace key with the WORKFLOW_API scope for the workflows and workflow_runs "
            "streams. Default: api_key."
        ),
    ),
    th.Property(
        "workflow_run_payloads",
        th.BooleanType,
        default=False,
        title="Workflow run payloads",
        description=(
            "Keep node inputs, outputs and logs in workflow_runs.executions (anything users "
            "typed; text follows pii). Default: left out."
        ),
    ),
).to_dict()


@dataclass(frozen=True)
class Settings:
    """Validated settings, in the types the tap works with."""

    api_url: str
    start_date: dt.date
    end_date: dt.date | None
    timezone: str
    grain: Grain
    lookback_windows: int
    pii: str
    request_timeout: float
    max_retry_seconds: float
    max_parallel_exports: int = DEFAULT_MAX_PARALLEL_EXPORTS
    max_requests_per_minute: int = DEFAULT_MAX_REQUESTS_PER_MINUTE
    workspace_id: str | None = None
    """Needed only by the audit_logs stream, which checks it when selected."""
    workflow_run_payloads: bool = False

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The configured time zone."""
        return zoneinfo.ZoneInfo(self.timezone)

    def today(self) -> dt.date:
        """Today's date in the configured time zone."""
        return dt.datetime.now(self.zone).date()

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> Settings:
        """Check a config mapping and return settings, or raise `SettingsError`."""
        if not isinstance(config.get("api_key"), str) or not config["api_key"].strip():
            _fail(
                "api_key",
                "is missing or empty",
                "set it to a Langdock API key with the USAGE_EXPORT_API scope "
                "(TAP_LANGDOCK_API_KEY)",
            )
        timezone = _timezone(config.get("timezone", "UTC"))
        start = _date("start_date", config.get("start_date"))
        if start is None:
            _fail("start_date", "is missing", "set the first local day to export, YYYY-MM-DD")
        end = _date("end_date", config.get("end_date"))
        if end is not None and end < start:
            _fail(
                "end_date",
                f"({end}) is before start_date ({start})",
                "set end_date on or after start_date, or leave it unset for yesterday",
            )
        _optional_key("audit_log_api_key", config.get("audit_log_api_key"))
        _optional_key("workflow_api_key", config.get("workflow_api_key"))
        return cls(
            api_url=_api_url(config.get("api_url", DEFAULT_API_URL)),
            start_date=start,
            end_date=end,
            timezone=timezone,
            grain=_choice("window", config.get("window", "day"), [g.value for g in Grain], Grain),
            lookback_windows=_integer("lookback_windows", config.get("lookback_windows", 1), 0),
            pii=_choice("pii", config.get("pii", "keep"), list(PII_MODES), str),
            request_timeout=_integer("request_timeout", config.get("request_timeout", 300), 1),
            max_retry_seconds=_integer(
                "max_retry_seconds", config.get("max_retry_seconds", 900), 0
            ),
            max_parallel_exports=_integer(
                "max_parallel_exports",
                config.get("max_parallel_exports", DEFAULT_MAX_PARALLEL_EXPORTS),
                1,
            ),
            max_requests_per_minute=_integer(
                "max_requests_per_minute",
                config.get("max_requests_per_minute", DEFAULT_MAX_REQUESTS_PER_MINUTE),
                1,
            ),
            workspace_id=_workspace_id(config.get("workspace_id")),
            workflow_run_payloads=_boolean(
                "workflow_run_payloads", config.get("workflow_run_payloads", False)
            ),
        )


def _fail(setting: str, problem: str, fix: str) -> t.NoReturn:
    raise SettingsError(f"Setting {setting} {problem}: {fix}.")


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(setting: str, value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    head = text[:10]
    if _DATE.fullmatch(head) and (len(text) == 10 or text[10] in "T "):
        try:
            day = dt.date.fromisoformat(head)
            if len(text) > 10:
                dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return day
    _fail(setting, f"({text!r}) is not a date", "use YYYY-MM-DD, e.g. 2025-01-31")


def _timezone(value: object) -> str:
    name = str(value).strip() if value is not None else ""
    try:
        if not name or name.lower() == "localtime":
            raise ValueError(name)
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        _fail(
            "timezone",
            f"({name!r}) is not an IANA time zone name",
            "use a name such as UTC, Europe/Berlin or America/Los_Angeles",
        )
    return name


_E = t.TypeVar("_E")


def _choice(setting: str, value: object, allowed: list[str], kind: t.Callable[[str], _E]) -> _E:
    if not isinstance(value, str) or value not in allowed:
        _fail(setting, f"({value!r}) is not one of {', '.join(allowed)}", "pick one of those")
    return kind(value)


def _integer(setting: str, value: object, minimum: int) -> int:
    # The SDK reads JSON numbers from a config file as Decimal.
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        shown = str(value) if isinstance(value, decimal.Decimal | float) else repr(value)
        _fail(setting, f"({shown}) is not a whole number", f"use a number >= {minimum}")
    if value < minimum:
        _fail(setting, f"({value}) is below {minimum}", f"use a number >= {minimum}")
    return value


def _boolean(setting: str, value: object) -> bool:
    # Meltano passes booleans from environment variables as JSON true/false already.
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        _fail(setting, f"({value!r}) is not true or false", "use true or false")
    return value


def _api_url(value: object) -> str:
    text = str(value or "").strip().rstrip("/")
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        _fail(
            "api_url",
            f"({text!r}) is not an http(s) URL",
            f"use {DEFAULT_API_URL} or https://<your-host>/api/public",
        )
    if parsed.query or parsed.fragment or parsed.username or parsed.password:
        _fail(
            "api_url",
            "has a query, fragment or credentials",
            "use only scheme, host and path; the key goes in api_key",
        )
    if parsed.scheme == "http" and not is_loopback(parsed.hostname):
        _fail(
            "api_url",
            "uses plain http to a non-loopback host, which would send the API key unencrypted",
            "use https",
        )
    return text


def _workspace_id(value: object) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if not isinstance(value, str) or len(text) > 200 or re.search(r"[\s/?#%]", text):
        _fail(
            "workspace_id",
            f"({text[:60]!r}) is not a workspace id",
            "use the id of your Langdock workspace (an identifier, not a URL)",
        )
    return text


def _optional_key(setting: str, value: object) -> None:
    # The value is never shown: it is a secret even when it is malformed.
    if value is not None and not isinstance(value, str):
        _fail(setting, "is not text", "set it to a Langdock API key, or leave it unset")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (plain http is acceptable only there)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
