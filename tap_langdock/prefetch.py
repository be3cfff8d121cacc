"""Export the next windows while the current one is emitted, and hand results over in order.

``Prefetch`` runs ``fetch(item, turn, stop)`` for each item on up to ``parallel`` worker
threads and yields the results in item order: a failure in item k+2 is raised only after items
k and k+1 were yielded, so their rows and checkpoints come first. At most ``parallel`` items
are in flight or waiting to be taken, which bounds the scratch files on disk.

``Turn`` keeps requests in window order: the export request of window k is sent after window
k-1's, and only once k-1's was answered or has been outstanding for ``stagger`` seconds. A fast
API then sees one request after another, exactly as in a sequential run; a slow one (exports
take seconds to be created) sees ``parallel`` of them in flight.

Closing the iterator (the SDK does that when it aborts a stream, e.g. ``--test``) stops the
workers at their next step and discards every result that will not be taken, so scratch files
of prefetched windows never outlive the stream.
"""

from __future__ import annotations

import threading
import typing as t
from dataclasses import dataclass, field

T = t.TypeVar("T")
R = t.TypeVar("R")

DEFAULT_STAGGER_SECONDS = 0.1
_POLL_SECONDS = 0.1
_JOIN_SECONDS = 2.0


class Cancelled(Exception):
    """Raised inside a worker's fetch when the run stops; never reaches the caller."""


class Turn:
    """Ordering between the export requests of neighbouring windows."""

    def __init__(self, previous: Turn | None, stagger: float) -> None:
        self._previous = previous
        self._stagger = stagger
        self._sent = threading.Event()
        self._answered = threading.Event()

    def wait(self, stop: threading.Event | None = None) -> None:
        """Block until this window may send its first export request."""
        previous, self._previous = self._previous, None  # no chain of finished turns
        if previous is None:
            return
        while not previous._sent.wait(_POLL_SECONDS):
            if stop is not None and stop.is_set():
                raise Cancelled
        previous._answered.wait(self._stagger)

    def sent(self) -> None:
        """The first export request of this window is about to go out."""
        self._sent.set()

    def answered(self) -> None:
        """Langdock answered it (or it failed): the next window need not wait any longer."""
        self._sent.set()
        self._answered.set()


@dataclass
class _Slot(t.Generic[R]):
    turn: Turn
    done: threading.Event = field(default_factory=threading.Event)
    result: R | None = None
    error: BaseException | None = None


class Prefetch(t.Generic[T, R]):
    """Ordered results of ``fetch`` over ``items``, computed ahead on worker threads."""

    def __init__(
        self,
        items: t.Sequence[T],
        fetch: t.Callable[[T, Turn, threading.Event], R],
        *,
        parallel: int,
        discard: t.Callable[[R], None],
        worker_done: t.Callable[[], None] | None = None,
        name: str = "prefetch",
        stagger: float = DEFAULT_STAGGER_SECONDS,
    ) -> None:
        self._items = items
        self._fetch = fetch
        self._discard = discard
        self._worker_done = worker_done
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._free = threading.Semaphore(parallel)
        self._next = 0
        self._slots: list[_Slot[R]] = []
        previous: Turn | None = None
        for _ in items:
            previous = Turn(previous, stagger)
            self._slots.append(_Slot(previous))
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i + 1}", daemon=True)
            for i in range(min(parallel, len(items)))
        ]
        self._started = False

    def __iter__(self) -> t.Iterator[R]:
        if not self._started:
            self._started = True
            for thread in self._threads:
                thread.start()
        for slot in self._slots:
            while not slot.done.wait(1.0):
                pass
            with self._lock:
                result, error = slot.result, slot.error
                slot.result = slot.error = None
                if error is not None:
                    # Nothing after a failed item will be taken: start no more work.
                    self._stop.set()
            self._free.release()
            if error is not None:
                raise error
            yield t.cast("R", result)

    def close(self) -> None:
        """Stop the workers and discard results nobody will take (idempotent)."""
        with self._lock:
            self._stop.set()
            leftovers = [slot.result for slot in self._slots if slot.result is not None]
            for slot in self._slots:
                slot.result = None
        for result in leftovers:
            self._discard(result)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(_JOIN_SECONDS / len(self._threads))

    def _work(self) -> None:
        try:
            while True:
                while not self._free.acquire(timeout=_POLL_SECONDS):
                    if self._stop.is_set():
                        return
                with self._lock:
                    index = self._next
                    if self._stop.is_set() or index >= len(self._slots):
                        self._free.release()
                        return
                    self._next += 1
                slot = self._slots[index]
                result: R | None = None
                error: BaseException | None = None
                try:
                    result = self._fetch(self._items[index], slot.turn, self._stop)
                except BaseException as exc:  # handed to the consumer, in order
                    error = exc
                finally:
                    slot.turn.answered()
                with self._lock:
                    keep = not self._stop.is_set()
                    if keep:
                        slot.result, slot.error = result, error
                if not keep and result is not None:
                    self._discard(result)
                slot.done.set()
        finally:
            if self._worker_done is not None:
                self._worker_done()
