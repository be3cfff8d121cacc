"""What every stream of the tap does as a member of a run, whichever API it reads."""

from __future__ import annotations

import typing as t

from singer_sdk import Stream

from tap_langdock._compat import override
from tap_langdock.errors import LangdockError

if t.TYPE_CHECKING:
    from tap_langdock.run import Run


class RunStream(Stream):
    """A stream whose failures the run judges: this stream only, or the whole run."""

    _run: Run

    @property
    def run(self) -> Run:
        """What this stream shares with the run's other streams."""
        return self._run

    def within_run(self, records: t.Iterator[dict[str, t.Any]]) -> t.Iterator[dict[str, t.Any]]:
        """``records``, ending this stream at its last good unit when they fail.

        STATE is written after every complete unit (window, range), so what was emitted is
        bookmarked; the run decides whether it goes on with the other streams.
        """
        try:
            yield from records
        except LangdockError as exc:
            self._run.stream_ended_early(exc, self.logger)

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        super().finalize_state_progress_markers(state)
        if state is None:
            # Without a state, this is Tap.sync_all() closing this stream (it is final, so the
            # end of the run cannot be hooked there): the run may now fail for earlier streams.
            self._run.stream_finished(self.logger)
