"""One window through the exporter against a scripted transport: the outcome table, no HTTP."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import typing as t

import pytest

from tap_langdock import retries
from tap_langdock.columns import Column, Kind
from tap_langdock.errors import ExportError, KeyRejected, Unreachable
from tap_langdock.export import protocol
from tap_langdock.export.exporter import ExportJob, WindowExporter
from tap_langdock.export.transport import Reply
from tap_langdock.prefetch import Cancelled
from tap_langdock.progress import Progress
from tap_langdock.run import Run
from tap_langdock.settings import Settings
from tap_langdock.windows import Grain, Window
from tests.support.clock import FakeClock

WINDOW = Window(dt.date(2026, 3, 1), dt.date(2026, 3, 1), Grain.DAY)
COLUMNS = (
    Column("period_start", Kind.DATE),
    Column("period_end", Kind.DATE),
    Column("project_id", Kind.STRING),
    Column("messages", Kind.INTEGER),
)
JOB = ExportJob("/export/projects", None, COLUMNS, ("project_id", "period_start", "period_end"))
GOOD_CSV = b"period_start,period_end,project_id,messages\n2026-03-01,2026-03-01,p1,4\n"


def ok(count: int | None = 1) -> Reply:
    data: dict[str, t.Any] = {"downloadUrl": "https://storage.example/f?sig=s3cret"}
    if count is not None:
        data["recordCount"] = count
    return Reply(200, json.dumps({"success": True, "data": data}).encode(), None)


class ScriptedApi:
    """Plays back answers in order: Reply or Answer for posts, bytes or Answer for downloads."""

    url_base = "https://api.langdock.com"

    def __init__(self, posts: list[t.Any], downloads: list[t.Any]) -> None:
        self.posts = list(posts)
        self.downloads = list(downloads)
        self.calls: list[str] = []

    def post_export(self, path: str, body: dict[str, t.Any]) -> t.Any:
        self.calls.append("post")
        return self.posts.pop(0)

    def download(self, url: str, sink: t.IO[bytes]) -> t.Any:
        self.calls.append("download")
        answer = self.downloads.pop(0)
        if isinstance(answer, bytes):
            sink.write(answer)
            return len(answer)
        return answer

    def close_thread_sessions(self) -> None:
        pass


def exporter(api: ScriptedApi, **config: t.Any) -> tuple[WindowExporter, Run]:
    settings = Settings.from_config(
        {"api_key": "k", "start_date": "2026-03-01", "max_retry_seconds": 100, **config}
    )
    run = Run(lambda: settings, selected=lambda: 1)
    progress = Progress(logging.getLogger("test-exporter"), "projects_usage", "UTC")
    return WindowExporter(t.cast("t.Any", api), run, JOB, progress), run


def test_a_clean_window(clock: FakeClock) -> None:
    api = ScriptedApi([ok()], [GOOD_CSV])
    result = exporter(api)[0].export(WINDOW)
    assert result.file is not None
    assert [r["messages"] for r in result.file.records()] == [4]
    stats = result.stats
    assert (stats.requests, stats.retries, stats.re_exports, stats.rows) == (2, 0, 0, 1)
    assert stats.bytes == len(GOOD_CSV)
    result.discard()


def test_no_data(clock: FakeClock) -> None:
    api = ScriptedApi(
        [Reply(404, b'{"error":"No data found","message":"No usage data"}', None)], []
    )
    result = exporter(api)[0].export(WINDOW)
    assert result.file is None
    assert result.stats.empty


def test_a_failed_download_is_retried_without_a_new_export(clock: FakeClock) -> None:
    api = ScriptedApi([ok()], [protocol.retry("HTTP 502 from the file storage"), GOOD_CSV])
    result = exporter(api)[0].export(WINDOW)
    assert api.calls == ["post", "download", "download"]
    assert result.stats.retries == 1
    result.discard()


@pytest.mark.parametrize(
    ("downloads", "limit"),
    [
        ([protocol.new_export(protocol.Cause.URL_REFUSED, "refused")] * 4, 3),
        ([b"period_start\n2026-03-01\n"] * 3, 2),  # lacks the key columns
        ([GOOD_CSV] * 3, 2),  # recordCount 5 below, the file has 1 row
    ],
)
def test_fresh_exports_have_a_limit_per_cause(
    clock: FakeClock, downloads: list[t.Any], limit: int
) -> None:
    api = ScriptedApi([ok(5)] * (limit + 1), downloads)
    with pytest.raises(ExportError, match=rf"still after {limit + 1} export\(s\)"):
        exporter(api)[0].export(WINDOW)
    assert api.calls.count("post") == limit + 1


def test_bad_envelopes_have_a_limit(clock: FakeClock) -> None:
    api = ScriptedApi([Reply(200, b"nope", None)] * 4, [])
    with pytest.raises(ExportError, match=r"not JSON .still after 4 export"):
        exporter(api)[0].export(WINDOW)


def test_retry_budget_runs_out_with_the_documented_line(clock: FakeClock) -> None:
    api = ScriptedApi([Reply(500, None, 60.0)] * 3, [])
    with pytest.raises(ExportError) as caught:
        exporter(api)[0].export(WINDOW)
    assert clock.slept == [60.0]  # the second 60 s wait would overrun the 100 s budget
    assert "gave up after 2 request(s) because the retry budget (max_retry_seconds=100)" in str(
        caught.value
    )


def test_backoff_grows_with_consecutive_failures_of_one_step_only(clock: FakeClock) -> None:
    """A 500 on the export and, later, a dropped download are two first failures."""
    api = ScriptedApi(
        [Reply(500, None, None), ok()],
        [protocol.retry("dropped"), protocol.retry("dropped"), GOOD_CSV],
    )
    exporter(api, max_retry_seconds=1000)[0].export(WINDOW).discard()
    first_export, first_download, second_download = clock.slept
    assert 0.5 <= first_export <= 1.0  # backoff of a first failure: 1 s with equal jitter
    assert 0.5 <= first_download <= 1.0  # another step's first failure: not 2 s
    assert 1.0 <= second_download <= 2.0  # the same step failing again


def test_a_rejected_key_stops_the_run(clock: FakeClock) -> None:
    api = ScriptedApi([Reply(401, b'{"error":"Unauthorized"}', None)], [])
    with pytest.raises(KeyRejected) as caught:
        exporter(api)[0].export(WINDOW)
    assert caught.value.run_wide


def test_unreachable_at_start_fails_after_three_attempts(clock: FakeClock) -> None:
    never = protocol.retry("cannot connect to Langdock (ConnectionError)", unreachable=True)
    api = ScriptedApi([never] * 3, [])
    with pytest.raises(Unreachable, match=r"cannot connect to api.langdock.com \(3 attempts\)"):
        exporter(api)[0].export(WINDOW)


def test_unreachable_after_reaching_langdock_is_a_passing_fault(clock: FakeClock) -> None:
    never = protocol.retry("cannot connect to Langdock (ConnectionError)", unreachable=True)
    api = ScriptedApi([never] * 3 + [ok()], [GOOD_CSV])
    window_exporter, run = exporter(api)
    run.reached.set()
    window_exporter.export(WINDOW).discard()
    assert api.calls.count("post") == 4


def test_a_stop_during_a_retry_wait_ends_the_window_at_once(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopping = threading.Event()

    def stopping_pause(seconds: float, stop: threading.Event | None = None) -> bool:
        stopping.set()  # the run stops while this window waits
        return True

    monkeypatch.setattr(retries, "pause", stopping_pause)
    api = ScriptedApi([Reply(503, None, 600.0), ok()], [GOOD_CSV])
    window_exporter, _ = exporter(api, max_retry_seconds=900)
    with pytest.raises(Cancelled):
        window_exporter.export(WINDOW, stop=stopping)
    assert api.calls == ["post"]


def test_the_real_pause_ends_when_stopped() -> None:
    stop = threading.Event()
    threading.Timer(0.05, stop.set).start()
    assert retries.pause(600.0, stop) is True
