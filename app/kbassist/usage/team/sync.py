"""Upload the local outbox to the team database: a background thread for the window, ``sync_now`` for the CLI.

Events are always committed to the local SQLite file first; it is the outbox (``uploaded = 0``). A round
connects, checks the schema once, applies the associate's "show my name" choice, then sends the waiting
events oldest first in batches of ``BATCH_SIZE``, each its own transaction (``ingest.upload``), and marks
each batch uploaded locally after the server committed it. A crash, a kill or a lost connection between the
server's commit and the local mark only means the batch is sent again, and the server skips what it has
(``duplicates_skipped``): nothing is lost, nothing is doubled, also with a second instance on the same file.

A round opens one connection and closes it when the outbox is empty: a team of 200 associates holding a
connection each would pass PostgreSQL's default limit of 100. With nothing waiting (and nothing to tell the
server) a round costs one local count and no connection.

The thread tries every ``INTERVAL_S`` while the server answers, and sooner when ``poke()`` says events were
committed; after a failure it waits as ``state.Backoff`` says, and pokes do not cut that wait short (a
window recording while offline must not knock on the server at each click). ``on_state`` is called from
the thread whenever ``state`` changes; messages and log lines come from ``errors.explain``, never a password.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import psycopg

from kbassist.usage.store import UsageStore, UsageStoreError
from kbassist.usage.team.connection import connect, where
from kbassist.usage.team.errors import TeamError, TeamLocalError, TeamOfflineError, TeamSchemaError, explain
from kbassist.usage.team.ingest import upload
from kbassist.usage.team.migrations import UPLOAD_NEEDS
from kbassist.usage.team.state import Backoff, Phase, SyncResult, SyncState

log = logging.getLogger(__name__)

# Events per upload transaction. bench/bench_team_sync.py, 200,000 events on this 2-core machine (shared with
# other work), through the server's rollup trigger: 100 -> 1,830 events/s, 500 -> 5,090, 2,000 -> 8,500 (before
# the trigger 4,900, 6,400, 8,400), the uploading process 5 MiB above its resting 45 MiB at 500 and 9 MiB at
# 2,000. A desktop's day is a few hundred events; 500 keeps a batch's memory, and what a lost connection sends
# again, small.
BATCH_SIZE: Final = 500
INTERVAL_S: Final = 5.0  # between rounds while the server answers
MIN_GAP_S: Final = 1.0  # between rounds however often pokes come
# The window's last upload at close waits this long at most: the associate closes the window to go. At 5,090
# events/s (500-event batches through the trigger, above) that is about 10,000 events, weeks of one associate's
# recording; what is left (the server slow or away) goes up at the next start, or with `kbassist team sync`.
FINAL_UPLOAD_S: Final = 2.0


class TeamSync:
    """The outbox of ``db_path`` to the team database at ``url`` (see the module docstring)."""

    def __init__(
        self,
        db_path: Path | str,
        url: str,
        *,
        display_name: str | None = None,
        batch_size: int = BATCH_SIZE,
        interval: float = INTERVAL_S,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``display_name``: the name editors may see (the associate opted in), None to show none."""
        self.db_path = Path(db_path)
        self.batch_size = batch_size
        self.interval = interval
        self.backoff = backoff or Backoff()
        self.on_state: Callable[[SyncState], None] | None = None
        self._url = url
        self._clock = clock
        self._name: tuple[int, str | None] = (1, display_name)  # (change number, name): applied once per change
        self._name_applied = 0
        self._schema_checked = False
        self._state = SyncState()
        self._state_lock = threading.Lock()
        self._round_lock = threading.Lock()  # one round at a time in this process (thread and sync_now)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last = threading.Event()  # finish(): one last round, then end
        self._closing = threading.Event()  # stop() or finish(): no more resting between rounds
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- settings, from any thread
    @property
    def url(self) -> str:
        return self._url

    @url.setter
    def url(self, value: str) -> None:
        if value != self._url:
            self._url = value
            self._schema_checked = False
            self._name = (self._name[0] + 1, self._name[1])  # a new server learns the choice too
            self.backoff.reset()
            self._wake.set()

    def set_display_name(self, name: str | None) -> None:
        if name != self._name[1]:
            self._name = (self._name[0] + 1, name)
            self._wake.set()

    @property
    def state(self) -> SyncState:
        return self._state

    # ---------------------------------------------------------------- the thread
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="kbassist-team-sync", daemon=True)
            self._thread.start()

    def poke(self, committed: int = 0) -> None:
        """``committed`` events were committed: sync soon, unless the server is failing (then its backoff
        decides, and the state counts them as waiting until the next round counts the outbox itself)."""
        if self._state.phase in (Phase.STARTING, Phase.SYNCED):
            self._wake.set()
        elif committed:
            self._publish(add_waiting=committed)

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread after its current batch. An upload cut short is sent again next time."""
        self._stop.set()
        self._closing.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.info("team sync still busy at stop; its batch will be sent again next time")

    def finish(self, timeout: float = FINAL_UPLOAD_S) -> bool:
        """The window closes: one last round at once for what waits (also while backing off from a failure:
        the server may be back), for ``timeout`` seconds at most, then stop. True when it ended in time."""
        if self._thread is None:
            return True
        self._last.set()
        self._closing.set()
        self._wake.set()
        self._thread.join(timeout)
        ended = not self._thread.is_alive()
        self.stop(timeout=0.1)  # a batch still going ends the thread after it; the rest waits for next time
        return ended

    def _run(self) -> None:
        store: UsageStore | None = None
        try:
            while not self._stop.is_set():
                self._wake.clear()
                last = self._last.is_set()
                store = store or self._open_store()
                delay = self._round_in_thread(store)
                if last:
                    break
                self._closing.wait(min(MIN_GAP_S, delay))
                if self._stop.is_set():
                    break
                if not self._last.is_set():
                    self._wake.wait(max(0.0, delay - MIN_GAP_S))
        finally:
            if store is not None:
                store.close()

    def _round_in_thread(self, store: UsageStore | None) -> float:
        """One round of the thread; how long to rest before the next."""
        try:
            self._round_reporting(store, background=True)
        except TeamError:
            return self.backoff.next_delay()
        except Exception as exc:  # a bug: say so, and keep trying (slowly) rather than stop uploading
            log.exception("team sync failed unexpectedly")
            self._publish(phase=Phase.FAILING, label="error", error=f"unexpected {type(exc).__name__}")
            return self.backoff.next_delay()
        return self.interval

    # ---------------------------------------------------------------- one round
    def sync_now(self) -> SyncResult:
        """Upload everything waiting, on the caller's thread; raises ``TeamError`` (safe to show)."""
        store = self._open_store()
        try:
            return self._round_reporting(store, background=False)
        finally:
            if store is not None:
                store.close()

    def _open_store(self) -> UsageStore | None:
        """The outbox, or None while there is no usage file (nothing recorded yet: nothing to send)."""
        if not self.db_path.is_file():
            return None
        try:
            return UsageStore(self.db_path)
        except UsageStoreError as exc:
            log.warning("team sync cannot open the usage file: %s", exc)
            return None

    def _round_reporting(self, store: UsageStore | None, *, background: bool) -> SyncResult:
        """A round that updates ``state``. A failure is logged as a warning in the background (where nobody
        else reports it) and raised as a ``TeamError``; ``sync_now``'s caller says it, so its log line is info."""
        with self._round_lock:
            try:
                result = self._round(store)
            except (psycopg.Error, OSError, UsageStoreError, TeamError) as exc:
                error = (
                    TeamLocalError(f"the local usage file cannot be read now ({exc})")
                    if isinstance(exc, UsageStoreError)
                    else explain(exc, self._url)
                )
                self._failed(error, store, background)
                raise error from None
            self._succeeded(result)
            return result

    def _round(self, store: UsageStore | None) -> SyncResult:
        waiting = store.waiting_count() if store is not None else 0
        self._publish(waiting=waiting)
        name_change, name = self._name
        if not waiting and name_change == self._name_applied and self._state.phase is Phase.SYNCED:
            return SyncResult(0, 0, 0)
        uploaded = skipped = 0
        with connect(self._url) as conn:
            self._check_schema(conn)
            if name_change != self._name_applied:
                conn.execute("SELECT kbassist.show_my_name(%s)", (name,))
                self._name_applied = name_change
            while store is not None and not self._stop.is_set():
                batch = store.waiting(self.batch_size)
                if not batch:
                    break
                new = upload(conn, batch)
                store.mark_uploaded(event.event_id for event in batch)
                uploaded, skipped, waiting = uploaded + new, skipped + len(batch) - new, max(0, waiting - len(batch))
                self._publish(waiting=waiting)
        return SyncResult(uploaded, store.waiting_count() if store is not None else 0, skipped)

    def _check_schema(self, conn: psycopg.Connection[Any]) -> None:
        if self._schema_checked:
            return
        row = conn.execute("SELECT kbassist.current_schema_version()").fetchone()
        version = int(row[0]) if row and row[0] is not None else 0
        if version < UPLOAD_NEEDS:
            raise TeamSchemaError(
                f"the team database at {where(self._url)} is at schema v{version}, older than this app needs "
                f"(v{UPLOAD_NEEDS}): ask the team's administrator to run `kbassist team init`"
            )
        self._schema_checked = True

    # ---------------------------------------------------------------- state
    def _succeeded(self, result: SyncResult) -> None:
        self.backoff.reset()
        if result.uploaded or result.duplicates_skipped:
            log.info(
                "team sync: %d uploaded, %d already there, %d waiting",
                result.uploaded,
                result.duplicates_skipped,
                result.waiting,
            )
        self._publish(
            phase=Phase.SYNCED,
            waiting=result.waiting,
            offline_since=None,
            error=None,
            label=None,
            last_synced=self._clock(),
        )

    def _failed(self, error: TeamError, store: UsageStore | None, background: bool) -> None:
        offline = isinstance(error, TeamOfflineError)
        since = (self._state.offline_since or self._clock()) if offline else None
        if str(error) != self._state.error:
            log.log(logging.WARNING if background else logging.INFO, "team sync: %s", error)
        waiting = self._state.waiting
        if store is not None:
            with contextlib.suppress(UsageStoreError):
                waiting = store.waiting_count()
        self._publish(
            phase=Phase.OFFLINE if offline else Phase.FAILING,
            offline_since=since,
            error=str(error),
            label=error.label,
            waiting=waiting,
        )

    def _publish(self, *, add_waiting: int = 0, **changes: Any) -> None:
        with self._state_lock:
            if add_waiting:
                changes["waiting"] = self._state.waiting + add_waiting
            new = replace(self._state, **changes)
            changed = new != self._state
            self._state = new
        if changed and self.on_state is not None:
            try:
                self.on_state(new)
            except Exception:  # the listener's bug must not stop the uploads
                log.exception("team sync state listener failed")
