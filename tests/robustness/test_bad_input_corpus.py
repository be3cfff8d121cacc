"""Bad-input corpus: every case's expected outcome is written in the table below.

Each case runs the real command line (`python -m tap_langdock`) against its own emulator,
bounded by a timeout, and checks:

* the outcome: ``ERROR`` = exit code 1 and an error line containing the exact phrase, or
  ``TOLERATED`` = exit code 0, a log line (WARNING unless noted) containing the phrase, and
  records equal to a clean run's;
* nothing hangs (the subprocess timeout), no traceback anywhere on stderr;
* settings errors come before any request and print nothing on stdout;
* a rejected answer or file emits no rows and moves no state: the run starts from a state
  bookmarked through 2026-02-28, asks for the one window 2026-03-01, and every STATE message
  it writes equals the state it was given;
* no secret in stdout or stderr (the API key, ``Bearer``, signed-URL signatures).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import pathlib
import subprocess
import tempfile
import time
import typing as t

import pytest

from langdock_emulator import Emulator, Fault
from tests.support.contract import CONTRACT_SETTINGS
from tests.support.records import keyed
from tests.support.secrets import TEST_API_KEY, register_signatures, scan_for_secrets
from tests.support.tap_runner import CliRun, only_streams_catalog, run_cli

ERROR, TOLERATED = "error", "tolerated"
STREAM = "projects_usage"
WINDOW = "2026-03-01"
WHERE = f"{STREAM}, window {WINDOW} (UTC): "
START_STATE: dict[str, t.Any] = {
    "bookmarks": {
        STREAM: {
            "exported_through": "2026-02-28",
            "window": "day",
            "timezone": "UTC",
            "replication_key": "period_end",
            "replication_key_value": "2026-02-28",
        }
    }
}
DELETE = object()
PERSISTENT = 50  # more than any retry or re-export limit of the tap
TIMEOUT = 120.0


@dataclasses.dataclass(frozen=True)
class Case:
    """One bad input and what the tap must do with it."""

    id: str
    outcome: str
    phrase: str
    """Exact text of the error line (ERROR) or of the log line (TOLERATED)."""
    settings: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    """Config changes; DELETE removes the setting. A settings case sends no request."""
    faults: tuple[Fault, ...] = ()
    workspace: dict[str, t.Any] = dataclasses.field(default_factory=dict)
    """Emulator settings (privacy, extra_column, ...)."""
    state: dict[str, t.Any] | None = None
    level: str = "WARNING"
    """Log level of the tolerated case's line."""

    empty: bool = False
    bug: str | None = None
    """A known tap bug: the case is marked xfail(strict=True) with this reason."""
    """The tolerated window legitimately has no rows (Langdock's 404 "No data found")."""

    @property
    def settings_only(self) -> bool:
        """A settings error: stops before any request."""
        return self.phrase.startswith("Setting ")


def _always(kind: str, **kwargs: t.Any) -> tuple[Fault, ...]:
    return (Fault(kind, export_type="projects", count=PERSISTENT, **kwargs),)


def _once(kind: str, **kwargs: t.Any) -> tuple[Fault, ...]:
    return (Fault(kind, export_type="projects", **kwargs),)


REFUSED = "(still after"
CASES: list[Case] = [
    # --- settings: one line naming the setting and the fix, no request --------------------
    Case("api_key-missing", ERROR, "Setting api_key is missing or empty", {"api_key": DELETE}),
    Case("api_key-empty", ERROR, "Setting api_key is missing or empty", {"api_key": ""}),
    Case("api_key-blank", ERROR, "Setting api_key is missing or empty", {"api_key": "   "}),
    Case("api_key-number", ERROR, "Setting api_key is missing or empty", {"api_key": 12345}),
    Case(
        "api_url-plain-http-remote",
        ERROR,
        "Setting api_url uses plain http to a non-loopback host, which would send the API key "
        "unencrypted: use https.",
        {"api_url": "http://api.langdock.com"},
    ),
    Case(
        "api_url-plain-http-lan-ip",
        ERROR,
        "Setting api_url uses plain http to a non-loopback host",
        {"api_url": "http://10.0.0.5:8080/api/public"},
    ),
    Case(
        "api_url-ftp",
        ERROR,
        "Setting api_url ('ftp://api.langdock.com') is not an http(s) URL: use "
        "https://api.langdock.com or https://<your-host>/api/public.",
        {"api_url": "ftp://api.langdock.com"},
    ),
    Case(
        "api_url-no-scheme",
        ERROR,
        "Setting api_url ('api.langdock.com') is not an http(s) URL",
        {"api_url": "api.langdock.com"},
    ),
    Case(
        "api_url-credentials",
        ERROR,
        "Setting api_url has a query, fragment or credentials: use only scheme, host and path; "
        "the key goes in api_key.",
        {"api_url": "https://admin:pw-SECRET-0a1b2c@api.langdock.com"},
    ),
    Case(
        "api_url-query",
        ERROR,
        "Setting api_url has a query, fragment or credentials",
        {"api_url": "https://api.langdock.com/?key=ld-SECRET-0a1b2c"},
    ),
    Case("start_date-missing", ERROR, "Setting start_date is missing", {"start_date": DELETE}),
    Case(
        "start_date-dotted",
        ERROR,
        "Setting start_date ('31.01.2026') is not a date: use YYYY-MM-DD, e.g. 2025-01-31.",
        {"start_date": "31.01.2026"},
    ),
    Case(
        "start_date-impossible",
        ERROR,
        "Setting start_date ('2026-02-30') is not a date",
        {"start_date": "2026-02-30"},
    ),
    Case(
        "start_date-word",
        ERROR,
        "Setting start_date ('yesterday') is not a date",
        {"start_date": "yesterday"},
    ),
    Case(
        "end_date-slashes",
        ERROR,
        "Setting end_date ('2026/03/01') is not a date",
        {"end_date": "2026/03/01"},
    ),
    Case(
        "end_date-before-start",
        ERROR,
        "Setting end_date (2026-01-31) is before start_date (2026-02-01): set end_date on or "
        "after start_date, or leave it unset for yesterday.",
        {"end_date": "2026-01-31"},
    ),
    Case(
        "timezone-city",
        ERROR,
        "Setting timezone ('Berlin') is not an IANA time zone name: use a name such as UTC, "
        "Europe/Berlin or America/Los_Angeles.",
        {"timezone": "Berlin"},
    ),
    Case(
        "timezone-offset",
        ERROR,
        "Setting timezone ('+02:00') is not an IANA time zone name",
        {"timezone": "+02:00"},
    ),
    Case(
        "timezone-empty",
        ERROR,
        "Setting timezone ('') is not an IANA time zone name",
        {"timezone": ""},
    ),
    Case(
        "window-unknown",
        ERROR,
        "Setting window ('fortnight') is not one of day, week, month: pick one of those.",
        {"window": "fortnight"},
    ),
    Case(
        "window-capitalised",
        ERROR,
        "Setting window ('Week') is not one of day, week, month",
        {"window": "Week"},
    ),
    Case(
        "lookback-negative",
        ERROR,
        "Setting lookback_windows (-1) is below 0: use a number >= 0.",
        {"lookback_windows": -1},
    ),
    Case(
        "lookback-text",
        ERROR,
        "Setting lookback_windows ('2') is not a whole number",
        {"lookback_windows": "2"},
    ),
    Case(
        "lookback-fraction",
        ERROR,
        "Setting lookback_windows (1.5) is not a whole number",
        {"lookback_windows": 1.5},
    ),
    Case(
        "pii-unknown",
        ERROR,
        "Setting pii ('mask') is not one of keep, hash, drop",
        {"pii": "mask"},
    ),
    Case(
        "request_timeout-zero",
        ERROR,
        "Setting request_timeout (0) is below 1: use a number >= 1.",
        {"request_timeout": 0},
    ),
    Case(
        "request_timeout-text",
        ERROR,
        "Setting request_timeout ('30s') is not a whole number",
        {"request_timeout": "30s"},
    ),
    Case(
        "max_retry_seconds-negative",
        ERROR,
        "Setting max_retry_seconds (-5) is below 0",
        {"max_retry_seconds": -5},
    ),
    Case(
        "max_retry_seconds-bool",
        ERROR,
        "Setting max_retry_seconds (True) is not a whole number",
        {"max_retry_seconds": True},
    ),
    # --- state that cannot be continued ----------------------------------------------------
    Case(
        "state-other-window",
        ERROR,
        "projects_usage: the state was written with window=week but the setting is window=day",
        state={"bookmarks": {STREAM: {**START_STATE["bookmarks"][STREAM], "window": "week"}}},
    ),
    Case(
        "state-bookmark-not-a-date",
        ERROR,
        "projects_usage: the state's exported_through 'last tuesday' is not a date; clear this "
        "stream's state and run again",
        state={
            "bookmarks": {
                STREAM: {**START_STATE["bookmarks"][STREAM], "exported_through": "last tuesday"}
            }
        },
    ),
    # --- API bodies --------------------------------------------------------------------------
    Case(
        "body-not-json",
        ERROR,
        WHERE + "Langdock answered HTTP 200 with a body that is not JSON (still after 4 "
        "export(s)). No row of this window was emitted and the bookmark stays before it",
        faults=_always("not_json"),
    ),
    Case(
        "body-html-200",
        ERROR,
        WHERE + "Langdock answered HTTP 200 with a body that is not JSON (still after 4",
        faults=_always("html_error", status=200),
    ),
    Case(
        "body-html-502",
        ERROR,
        WHERE + "HTTP 502 from Langdock; gave up after 1 request(s) because the retry budget "
        "(max_retry_seconds=0) ran out",
        {"max_retry_seconds": 0},
        faults=_always("html_error", status=502),
    ),
    Case(
        "body-success-false",
        ERROR,
        WHERE + "Langdock answered HTTP 200 with success=False: Export failed: The export could "
        "not be generated (still after 4 export(s))",
        faults=_always("success_false"),
    ),
    Case(
        "body-missing-downloadUrl",
        ERROR,
        WHERE + "Langdock's answer has no data.downloadUrl (still after 4 export(s))",
        faults=_always("missing_download_url"),
    ),
    Case(
        "body-ftp-downloadUrl",
        ERROR,
        WHERE + "data.downloadUrl is not an http(s) URL (scheme 'ftp') (still after 4",
        faults=_always("bad_download_url"),
    ),
    Case(
        "body-huge",
        ERROR,
        WHERE + "Langdock's answer is larger than 1048576 bytes (still after 4 export(s))",
        faults=_always("huge_body"),
    ),
    Case(
        "body-recordCount-mismatch",
        ERROR,
        "rows but Langdock's recordCount is",
        faults=_always("record_count_mismatch"),
    ),
    Case(
        "body-401",
        ERROR,
        WHERE + "Langdock rejected the API key (HTTP 401: Unauthorized: Invalid or missing API "
        "key): check it and that it has the USAGE_EXPORT_API scope",
        faults=_always("unauthorized"),
    ),
    Case(
        "body-400-too-large",
        ERROR,
        WHERE + "Langdock refused the export (HTTP 400: Export too large: 1500000 rows exceeds "
        "limit of",
        faults=_always("too_large"),
    ),
    Case(
        "answer-slower-than-timeout",
        ERROR,
        WHERE + "Langdock did not answer within 1 s; gave up after",
        {"request_timeout": 1, "max_retry_seconds": 1},
        faults=_always("slow", delay=2),
    ),
    Case(
        "signed-url-expired",
        ERROR,
        WHERE + "the file storage refused the download link (HTTP 403) (still after 4 export(s))",
        faults=_always("expired_url"),
    ),
    Case(
        "download-truncated",
        ERROR,
        WHERE + "the download was cut off",
        {"max_retry_seconds": 1},
        faults=_always("truncate"),
    ),
    # --- CSV files ---------------------------------------------------------------------------
    Case(
        "csv-empty",
        ERROR,
        WHERE + "the file has 0 rows but Langdock's recordCount is",
        faults=_always("csv_empty"),
    ),
    Case(
        "csv-header-only",
        ERROR,
        WHERE + "the file has 0 rows but Langdock's recordCount is",
        faults=_always("csv_header_only"),
    ),
    Case(
        "csv-missing-key-column",
        ERROR,
        WHERE + "the header lacks key column(s) project_id (header: period_start, period_end",
        faults=_always("csv_missing_key_column"),
    ),
    Case(
        "csv-non-numeric-count",
        ERROR,
        WHERE + "data row 1, column messages: 'abc' is not a whole number (still after 3",
        faults=_always("csv_non_numeric"),
    ),
    Case(
        "csv-invalid-utf8",
        ERROR,
        WHERE + "the file is not valid UTF-8",
        faults=_always("csv_invalid_utf8"),
    ),
    Case(
        "csv-nul-byte",
        ERROR,
        "NUL byte",
        faults=_always("csv_nul"),
    ),
    Case(
        "csv-semicolons",
        ERROR,
        WHERE + "the header lacks key column(s) project_id, period_start, period_end, org_id "
        "(header: "
        "period_start;period_end;org_id;project_id;",
        faults=_always("csv_semicolon"),
    ),
    Case(
        "csv-ragged-row",
        ERROR,
        "cells but the header has",
        faults=_always("csv_ragged"),
    ),
    Case(
        "csv-50MB-cell",
        ERROR,
        WHERE + "the CSV is malformed near line 2: field larger than field limit (16777216)",
        faults=_always("csv_huge_cell"),
    ),
    # --- tolerated: one bad answer or file, or a workspace that differs ----------------------
    Case(
        "once-not-json",
        TOLERATED,
        WHERE + "Langdock answered HTTP 200 with a body that is not JSON; asking Langdock for a "
        "fresh export (1 of 3)",
        faults=_once("not_json"),
    ),
    Case(
        "once-recordCount-mismatch",
        TOLERATED,
        "rows but Langdock's recordCount is",
        faults=_once("record_count_mismatch"),
    ),
    Case(
        "once-csv-ragged",
        TOLERATED,
        "cells but the header has",
        faults=_once("csv_ragged"),
    ),
    Case(
        "once-csv-invalid-utf8",
        TOLERATED,
        WHERE + "the file is not valid UTF-8",
        faults=_once("csv_invalid_utf8"),
    ),
    Case(
        "once-storage-403",
        TOLERATED,
        WHERE + "the file storage refused the download link (HTTP 403); asking Langdock for a "
        "fresh export (1 of 3)",
        faults=_once("storage_403"),
    ),
    Case(
        "no-data-404",
        TOLERATED,
        WHERE + "no data (HTTP 404)",
        faults=_once("no_data"),
        level="INFO",
        empty=True,
    ),
    Case(
        "unknown-extra-column",
        TOLERATED,
        "projects_usage: Langdock sent column(s) this tap does not know:",
        workspace={"extra_column": True},
    ),
    Case(
        "privacy-mode-column-missing",
        TOLERATED,
        "projects_usage: column(s) missing from Langdock's file, loaded as null: "
        "project_owner_email",
        workspace={"privacy": True},
    ),
]


def _config(url: str, case: Case) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "api_key": TEST_API_KEY,
        "api_url": url,
        "start_date": "2026-02-01",
        "end_date": WINDOW,
        "lookback_windows": 0,
        # Generous: on a busy machine the emulator may take seconds to build a 50 MB file,
        # and a timeout or a spent budget would change a case's outcome. The cases about
        # timeouts and budgets set their own; a hang is caught by TIMEOUT.
        "request_timeout": 30,
        "max_retry_seconds": 30,
    }
    for name, value in case.settings.items():
        if value is DELETE:
            config.pop(name, None)
        else:
            config[name] = value
    return config


@dataclasses.dataclass
class Outcome:
    case: Case
    cli: CliRun | None
    hung: bool
    requests: int
    clean: dict[str, list[dict[str, t.Any]]] | None = None


def _run_case(case: Case, catalog: pathlib.Path) -> Outcome:
    with (
        tempfile.TemporaryDirectory(prefix="corpus-") as scratch,
        Emulator(api_key=TEST_API_KEY, seed=7) as emu,
    ):
        workdir = pathlib.Path(scratch)
        for name, value in case.workspace.items():
            setattr(emu.settings, name, value)
        clean = None
        if case.outcome == TOLERATED:
            reference = run_cli(workdir, _config(emu.url, case), state=START_STATE, catalog=catalog)
            assert reference.returncode == 0, reference.stderr[-2000:]
            clean = reference.run.records
            emu.export_requests.clear()
        for fault in case.faults:
            emu.add_fault(fault)
        try:
            cli = run_cli(
                workdir,
                _config(emu.url, case),
                state=case.state or START_STATE,
                catalog=catalog,
                timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return Outcome(case, None, hung=True, requests=len(emu.export_requests))
        finally:
            if any(fault.kind == "slow" for fault in case.faults):
                # The emulator's slow handler sleeps on after the tap gave up; closing the
                # emulator under it makes the emulator print a traceback (reported).
                time.sleep(2.0)
        register_signatures(emu)
        scan_for_secrets(cli.stdout + cli.stderr, f"corpus case {case.id}")
        return Outcome(case, cli, hung=False, requests=len(emu.export_requests), clean=clean)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case, run four at a time (each has its own emulator and scratch directory)."""
    catalog = only_streams_catalog(tmp_path_factory.mktemp("catalog"), [STREAM])
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = {case.id: pool.submit(_run_case, case, catalog) for case in CASES}
        return {name: future.result() for name, future in futures.items()}


def test_corpus_size_and_coverage() -> None:
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)
    kinds = {fault.kind for case in CASES for fault in case.faults}
    assert {
        "not_json",
        "html_error",
        "success_false",
        "missing_download_url",
        "bad_download_url",
        "huge_body",
        "record_count_mismatch",
        "csv_empty",
        "csv_header_only",
        "csv_missing_key_column",
        "csv_non_numeric",
        "csv_invalid_utf8",
        "csv_nul",
        "csv_semicolon",
        "csv_ragged",
        "csv_huge_cell",
    } <= kinds
    settings = {name for case in CASES for name in case.settings}
    assert set(CONTRACT_SETTINGS) <= settings


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else [],
        )
        for case in CASES
    ],
)
def test_case(outcomes: dict[str, Outcome], case: Case) -> None:
    outcome = outcomes[case.id]
    assert not outcome.hung, f"{case.id}: no answer within {TIMEOUT} s"
    cli = outcome.cli
    assert cli is not None
    assert "Traceback" not in cli.stderr, cli.stderr[-3000:]
    run = cli.run
    if case.outcome == ERROR:
        assert cli.returncode == 1, (cli.returncode, cli.stderr[-2000:])
        errors = cli.error_lines
        assert errors, cli.stderr[-2000:]
        assert any(case.phrase in line for line in errors), "\n".join(errors)
        assert not run.records, "a rejected input emitted rows"
        if case.settings_only:
            assert cli.stdout == ""
            assert outcome.requests == 0
        else:
            given = case.state or START_STATE
            assert all(state == given for state in run.states), run.states
    else:
        assert cli.returncode == 0, cli.stderr[-2000:]
        lines = [line for line in cli.stderr.splitlines() if case.phrase in line]
        assert lines, cli.stderr[-3000:]
        assert any(case.level in line.upper() for line in lines), lines
        assert outcome.clean is not None
        if case.empty:
            assert STREAM not in run.records
            assert run.through(STREAM) == WINDOW
            return
        assert keyed(run.records.get(STREAM, []), STREAM) == keyed(
            outcome.clean.get(STREAM, []), STREAM
        )
        assert len(run.records.get(STREAM, [])) == len(outcome.clean.get(STREAM, []))
        assert run.through(STREAM) == WINDOW
