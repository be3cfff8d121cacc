"""What every stream of the tap does as a member of a run, whichever API it reads."""

from __future__ import annotations

import typing as t

from singer_sdk import Stream

from tap_langdock._compat import override
from tap_langdock.errors import LangdockError

if t.TYPE_CHECKING:
    from tap_langdock.run import Run


class RunStream(Stream):
    """A stream of this tap: its bookmark moves once per complete unit (an export window, an
    audit range), never per record, and the run judges its failures.

    Both lean on SDK behaviour that is internal or undocumented; the pin singer-sdk ~=0.54.9
    keeps it stable and tests/tap/test_stream_maps.py and tests/audit check it.
    """

    _run: Run

    # STATE is written after every complete unit by write_state(); a count-based one in the
    # middle of a unit would only repeat the last, or claim pages still unread.
    STATE_MSG_FREQUENCY = 2**62

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

    def write_state(self, state: dict[str, t.Any]) -> None:
        """Write a STATE message now, with the bookmark the unit just completed moved."""
        # The SDK's own entry point for that (its docstring calls it internal).
        self.finalize_state_progress_markers(state)

    @override
    def _increment_stream_state(
        self, latest_record: dict[str, t.Any], *, context: t.Any = None
    ) -> None:
        # Never per record: rows of lookback windows are older than the bookmark by design,
        # audit entries come in no documented order; either would move it back or make the
        # SDK raise InvalidStreamSortException.
        return

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        super().finalize_state_progress_markers(state)
        if state is None:
            # Without a state, this is Tap.sync_all() closing this stream (it is final, so the
            # end of the run cannot be hooked there): the run may now fail for earlier streams.
            self._run.stream_finished(self.logger)
