"""Langdock's export protocol as pure functions: no I/O, no state, tested as tables.

What to send for a window, how to read the envelope, and what every answer means. Each
answer is classified into an `Answer`: an `Outcome` (what the exporter does next) with the
one-line message a person reads when it ends the stream. The exporter switches on outcomes;
it never looks at status codes.
"""

from __future__ import annotations

import enum
import json
import typing as t
import urllib.parse
from dataclasses import dataclass, field

from tap_langdock.errors import ExportError, ExportUnavailable, KeyRejected
from tap_langdock.settings import is_loopback

if t.TYPE_CHECKING:
    from tap_langdock.windows import Window

MAX_ENVELOPE_BYTES = 1024 * 1024
TRANSIENT_STATUSES = frozenset({408, 425, 429})
# The file storage's answers that mean the signed link itself is no good (expired, revoked).
URL_REFUSED_STATUSES = frozenset({400, 401, 403, 404, 410})


class Outcome(enum.Enum):
    """What the exporter does with an answer."""

    OK = "ok"
    NO_DATA = "no data"
    RETRY = "wait and retry the same step"
    NEW_EXPORT = "ask Langdock for a fresh export"
    FAIL = "stop"


class Cause(enum.Enum):
    """Why a fresh export is needed; each has its own limit (exporter.REEXPORT_LIMITS)."""

    URL_REFUSED = "url refused"
    BAD_RESPONSE = "bad response"
    BAD_FILE = "bad file"


@dataclass(frozen=True)
class Envelope:
    """Langdock's 200 answer: where the file is and how many rows it should have."""

    download_url: str = field(repr=False)
    record_count: int | None


@dataclass(frozen=True)
class Answer:
    """One classified answer. ``message`` is a reason (RETRY, NEW_EXPORT) or a whole line."""

    outcome: Outcome
    message: str = ""
    retry_after: float | None = None
    envelope: Envelope | None = None
    cause: Cause | None = None
    """NEW_EXPORT: which limit it counts against."""
    error: type[ExportError] = ExportError
    """FAIL: the error it becomes (how far it reaches: stream or run)."""
    unreachable: bool = False
    """RETRY: no connection was ever made (refused, name not found): maybe a wrong api_url."""


OK_NO_DATA = Answer(Outcome.NO_DATA)


def retry(reason: str, retry_after: float | None = None, *, unreachable: bool = False) -> Answer:
    return Answer(Outcome.RETRY, reason, retry_after, unreachable=unreachable)


def new_export(cause: Cause, reason: str) -> Answer:
    return Answer(Outcome.NEW_EXPORT, reason, cause=cause)


def request_body(window: Window, zone: str, group_by: str | None) -> dict[str, t.Any]:
    """The POST body for one window: wall-clock bounds read by Langdock in ``zone``."""
    start, end = window.request_range()
    body: dict[str, t.Any] = {
        "from": {"date": start, "timezone": zone},
        "to": {"date": end, "timezone": zone},
    }
    if group_by is not None:
        body["group_by"] = group_by
    return body


def classify_export(
    status: int,
    body: bytes | None,
    retry_after: float | None,
    *,
    where: str,
    path: str,
    base_url: str,
    grouped: bool = False,
) -> Answer:
    """What an answer to the export POST means. ``body`` is None when it was too large."""
    if status == 200:
        if body is None:
            msg = f"Langdock's answer is larger than {MAX_ENVELOPE_BYTES} bytes"
            return new_export(Cause.BAD_RESPONSE, msg)
        return parse_envelope(body, base_url)
    problem = error_text(body)
    if status in TRANSIENT_STATUSES or status >= 500:
        return retry(f"HTTP {status} from Langdock{problem}", retry_after)
    return _refusal(status, problem, where=where, path=path, grouped=grouped)


def _refusal(status: int, problem: str, *, where: str, path: str, grouped: bool) -> Answer:
    if status in (401, 403):
        msg = (
            f"{where}: Langdock rejected the API key (HTTP {status}{problem}): check it "
            "and that it has the USAGE_EXPORT_API scope"
        )
        return Answer(Outcome.FAIL, msg, error=KeyRejected)
    if status == 404:
        if is_no_data(problem):
            return OK_NO_DATA
        msg = (
            f"{where}: HTTP 404 from {path}{problem}: check api_url (cloud: "
            "https://api.langdock.com; dedicated deployments: https://<host>/api/public)"
        )
        return Answer(Outcome.FAIL, msg)
    if status == 400:
        return _refused(problem, where=where, grouped=grouped)
    return Answer(Outcome.FAIL, f"{where}: unexpected HTTP {status} from Langdock{problem}")


def _refused(problem: str, *, where: str, grouped: bool) -> Answer:
    text = problem.lower()
    if grouped and "group" in text:
        msg = (
            f"{where}: Langdock does not offer this export in this workspace (HTTP 400"
            f"{problem}): deselect the stream, or enable BYOK (bring your own keys) if the "
            "grouping needs it"
        )
        return Answer(Outcome.FAIL, msg, error=ExportUnavailable)
    hint = "check the window and settings"
    if "too large" in text:
        hint = (
            "a shorter window does not help: Langdock returns one row per entity for "
            "the whole period, so the row count does not shrink with the range; "
            "ask Langdock to raise the limit"
        )
    msg = f"{where}: Langdock refused the export (HTTP 400{problem}): {hint}"
    return Answer(Outcome.FAIL, msg)


def classify_download(status: int, retry_after: float | None) -> Answer:
    """What the file storage's answer to a signed-URL GET means."""
    if status == 200:
        return Answer(Outcome.OK)
    if status in URL_REFUSED_STATUSES:
        msg = f"the file storage refused the download link (HTTP {status})"
        return new_export(Cause.URL_REFUSED, msg)
    return retry(f"HTTP {status} from the file storage", retry_after)


def parse_envelope(body: bytes, base_url: str) -> Answer:
    """The envelope of a 200 answer, or why it is not one (then a fresh export is asked for)."""
    try:
        document = json.loads(body)
    except ValueError:
        return new_export(
            Cause.BAD_RESPONSE, "Langdock answered HTTP 200 with a body that is not JSON"
        )
    if not isinstance(document, dict):
        return new_export(
            Cause.BAD_RESPONSE, "Langdock answered HTTP 200 with JSON that is not an object"
        )
    if document.get("success") is not True:
        msg = f"Langdock answered HTTP 200 with success={document.get('success')!r}"
        return new_export(Cause.BAD_RESPONSE, msg + error_text(body))
    data = document.get("data")
    if not isinstance(data, dict):
        return new_export(Cause.BAD_RESPONSE, "Langdock's answer has no data.downloadUrl")
    url = _download_url(data.get("downloadUrl"), base_url)
    if isinstance(url, Answer):
        return url
    return Answer(Outcome.OK, envelope=Envelope(url, _record_count(data.get("recordCount"))))


def _download_url(value: object, base_url: str) -> str | Answer:
    if not isinstance(value, str) or not value:
        return new_export(Cause.BAD_RESPONSE, "Langdock's answer has no data.downloadUrl")
    # The docs promise an absolute URI; a relative one is read against the API host rather
    # than failing the run.
    url = urllib.parse.urljoin(base_url + "/", value)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = f"data.downloadUrl is not an http(s) URL (scheme {parts.scheme[:10]!r})"
        return new_export(Cause.BAD_RESPONSE, msg)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return new_export(
            Cause.BAD_RESPONSE, "data.downloadUrl uses plain http to a non-loopback host"
        )
    return url


def _record_count(value: object) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def is_no_data(problem: str) -> bool:
    """Langdock's 404 for an empty period, told apart from a 404 for a wrong route.

    ``problem`` is `error_text` of the body: empty unless the body is Langdock's JSON error.
    """
    text = problem.lower()
    return "no data" in text or "no usage data" in text


def error_text(body: bytes | None) -> str:
    """Langdock's own error text as ': <error>: <message>', short and printable."""
    try:
        document = json.loads(body or b"")
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    parts = [
        str(document[key]).strip()
        for key in ("error", "message")
        if isinstance(document.get(key), str) and document[key].strip()
    ]
    if len(parts) == 2 and parts[1].startswith(parts[0]):
        parts = parts[1:]
    text = " ".join(": ".join(parts).split())
    return f": {text[:300]}" if text else ""
