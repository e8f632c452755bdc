"""Run core work off the UI thread and hand the result back by signal.

Every submission gets a ticket. A runner in ``latest`` mode keeps only its newest ticket: work that a newer
submission overtook while it waited in the queue is skipped, and a result that comes back after a newer
submission is dropped, so a slow suggestion for an old version of the case can never overwrite a newer
one. This is the window's one "newest wins" scheme; the suggest and search controllers use it.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

_SKIPPED = object()  # what a job overtaken in the queue returns instead of running


class _Relay(QObject):
    """Lives in the UI thread; its signals carry a worker's outcome back there (queued connection)."""

    done = Signal(int, object)
    failed = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, ticket: int, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.ticket, self.fn, self.relay = ticket, fn, relay

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # reported to the UI, which shows it; a worker never dies silently
            log.exception("background task failed")
            self.relay.failed.emit(self.ticket, exc)
        else:
            self.relay.done.emit(self.ticket, result)


class TaskRunner(QObject):
    """A pool of worker threads (one thread: work is serialised, as index writes must be).

    With ``latest=True`` only the newest submission counts (see the module docstring); ``cancel()`` makes
    every submission so far old, and ``dropped`` counts the outcomes thrown away. A failure is reported
    whatever its age: a broken engine is news even for an old request.
    """

    finished = Signal(int, object)  # ticket, result
    failed = Signal(int, object)  # ticket, exception

    def __init__(self, max_threads: int = 1, parent: QObject | None = None, *, latest: bool = False) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.latest = latest
        self.dropped = 0  # latest mode: results of overtaken submissions (for tests and diagnostics)
        self._tickets = itertools.count(1)
        self._newest = 0
        self._relay = _Relay(self)
        self._relay.done.connect(self.finished)
        self._relay.failed.connect(self.failed)
        self._callbacks: dict[int, tuple[Callable[[Any], None] | None, Callable[[Exception], None] | None]] = {}
        self.closed = False
        self.finished.connect(self._dispatch_done)
        self.failed.connect(self._dispatch_failed)

    def submit(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> int:
        """Queue `fn`; its outcome reaches `on_done` or `on_error` on the UI thread. Ignored once closed."""
        if self.closed:
            return 0
        ticket = next(self._tickets)
        self._newest = ticket
        self._callbacks[ticket] = (on_done, on_error)
        self.pool.start(_Job(ticket, self._unless_overtaken(ticket, fn) if self.latest else fn, self._relay))
        return ticket

    def _unless_overtaken(self, ticket: int, fn: Callable[[], Any]) -> Callable[[], Any]:
        # Read on the worker thread: work that became old while it waited in the queue is not done at all.
        return lambda: fn() if ticket == self._newest else _SKIPPED

    def cancel(self) -> None:
        """Latest mode: whatever was submitted so far is old; nothing of it reaches its callback."""
        self._newest = 0

    def _dispatch_done(self, ticket: int, result: object) -> None:
        on_done, _ = self._callbacks.pop(ticket, (None, None))
        if self.latest and (ticket != self._newest or result is _SKIPPED):
            self.dropped += 1
            return
        if on_done:
            on_done(result)

    def _dispatch_failed(self, ticket: int, error: object) -> None:
        _, on_error = self._callbacks.pop(ticket, (None, None))
        if on_error and isinstance(error, Exception):
            on_error(error)

    def close(self) -> None:
        """Take no more work and drop what has not started (shutdown): nothing may run after the core closes."""
        self.closed = True
        self.pool.clear()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until queued work is done (shutdown and tests only)."""
        return self.pool.waitForDone(msecs)

    @property
    def busy(self) -> bool:
        return self.pool.activeThreadCount() > 0
