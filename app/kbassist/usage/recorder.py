"""Record what associates do with suggestions, without ever making the window wait for the disk.

Every recording call builds a redacted ``Event`` and puts it on a queue: a few microseconds on the
caller's thread. One background writer thread owns the database connection; it takes whatever has
queued up (at most ``BATCH_MAX`` events) and commits it in one transaction straight away, so an event
is on disk within milliseconds of the call and a batch never waits for more events to arrive.

Expected storage failures (locked, disk full, damaged file) are retried a few times and then the batch
is dropped with a warning; they never reach the caller. Log lines name counts and errors, never terms.
Nothing is lost in silence: every event given up on is counted in ``dropped``, and ``problem`` (with the
``on_problem`` callback, which the window turns into a status-bar warning) says why until a later batch
is saved. A writer that dies of a bug, as one did when two processes created the database at once,
counts what it held and everything after it as dropped and says so.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from kbassist import __version__
from kbassist.content.model import ItemKind
from kbassist.usage.events import (
    ARTICLE_SOURCES,
    EDIT_RATIO_PLACES,
    MACRO_SOURCES,
    MAX_INPUT_CHARS,
    MAX_KEY_TERMS,
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    MAX_TERM_CHARS,
    MAX_TERM_WORDS,
    PASTED,
    Event,
    EventKind,
    check_choice,
)
from kbassist.usage.redact import redact
from kbassist.usage.store import StoreCorruptError, UsageStore, UsageStoreError

log = logging.getLogger(__name__)

BATCH_MAX = 1000  # events per transaction at most
MAX_PENDING = 100_000  # beyond this (the disk has been failing for a long time) new events are dropped
RETRY_DELAYS = (0.2, 0.5, 1.0)  # seconds between attempts at one batch
DEFAULT_RETENTION_DAYS = 180


def short_text(text: str, max_words: int, max_chars: int) -> str | None:
    """``text`` redacted with its spaces collapsed, or None when it is too long to be a typed query."""
    if len(text) > MAX_INPUT_CHARS:
        return None
    cleaned = " ".join(redact(text).split())
    return cleaned if len(cleaned.split()) <= max_words and len(cleaned) <= max_chars else None


def _notify(listener: Callable[[Any], None] | None, value: object) -> None:
    """Tell a listener (on the writer thread); its bug must not take the writer down with it."""
    if listener is not None:
        try:
            listener(value)
        except Exception:
            log.exception("usage listener failed")


class UsageRecorder:
    """The window's entry point for usage events (see the module docstring for threading).

    ``enabled=False`` records nothing and does not even create the database; setting ``enabled`` later
    starts the writer. On start the writer opens (and if needed migrates or replaces) the database and
    prunes events older than ``retention_days`` (``team_outbox``: a team database keeps those not yet sent).
    """

    def __init__(
        self,
        db_path: Path,
        *,
        enabled: bool = True,
        app_version: str = __version__,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 5.0,
        team_outbox: bool = False,
    ) -> None:
        self.db_path = Path(db_path)
        self.app_version = app_version
        self.kb_version = ""  # set by the window when it loads or reloads a KB
        self.retention_days = retention_days
        self.busy_timeout = busy_timeout
        self.team_outbox = team_outbox
        self._clock = clock
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self._cond = threading.Condition()
        self._queued = 0
        self._done = 0  # committed or dropped
        self._committed = 0
        self._dropped = 0
        self._thread: threading.Thread | None = None
        self._closed = False
        self._dead = False  # the writer thread ended on an unexpected error
        self._problem: str | None = None
        # Called from the writer thread: with a one-line problem, or None once events are saved again; with how
        # many events a batch committed (a team database's sync uploads them).
        self.on_problem: Callable[[str | None], None] | None = None
        self.on_committed: Callable[[int], None] | None = None
        self._enabled = False
        self.enabled = enabled

    # ---------------------------------------------------------------- switching
    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        with self._cond:
            self._enabled = bool(value) and not self._closed
            if self._enabled and self._thread is None:  # the first time on: start the writer (no disk work here)
                self._thread = threading.Thread(
                    target=self._run, args=(self._clock(),), name="kbassist-usage-writer", daemon=True
                )
                self._thread.start()

    @property
    def committed(self) -> int:
        """Events committed to disk since this recorder started."""
        return self._committed

    @property
    def dropped(self) -> int:
        """Events given up on (storage kept failing, or the queue was full)."""
        return self._dropped

    @property
    def pending(self) -> int:
        return self._queued - self._done

    @property
    def problem(self) -> str | None:
        """Why events are not being saved right now (no terms, no secrets), or None when all is well."""
        return self._problem

    def _say(self, problem: str | None) -> None:
        if problem == self._problem:
            return
        self._problem = problem
        _notify(self.on_problem, problem)

    # ---------------------------------------------------------------- recording
    def new_session(self) -> str:
        """A new case session: a random id (never derived from the case), recorded when enabled."""
        session = uuid.uuid4().hex
        self._put(session, EventKind.SESSION)
        return session

    # ``kind`` and ``source`` are the vocabularies' plain values (an ``ItemKind`` or ``Source`` member is one);
    # ``product`` is the item's product as the KB says now (the team's figures group by it).
    def suggestion_shown(
        self, session: str, item_id: str, kind: str, rank: int, score: float, product: str | None = None
    ) -> None:
        item_kind = check_choice(kind, ItemKind, "kind")
        self._put(
            session,
            EventKind.SHOWN,
            item_id=item_id,
            item_kind=item_kind,
            rank=int(rank),
            score=float(score),
            product=product,
        )

    def article_opened(self, session: str, article_id: str, source: str, product: str | None = None) -> None:
        """``source`` "auto" is the window opening a confident top article itself, not the associate."""
        how = check_choice(source, ARTICLE_SOURCES, "source")
        self._put(
            session, EventKind.OPENED, item_id=article_id, item_kind=ItemKind.ARTICLE, source=how, product=product
        )

    def macro_previewed(self, session: str, macro_id: str, source: str, product: str | None = None) -> None:
        how = check_choice(source, MACRO_SOURCES, "source")
        self._put(session, EventKind.PREVIEWED, item_id=macro_id, item_kind=ItemKind.MACRO, source=how, product=product)

    def macro_copied(
        self,
        session: str,
        macro_id: str,
        edit_ratio: float,
        unfilled: int | Sequence[str],
        source: str,
        product: str | None = None,
    ) -> None:
        """``unfilled``: the names of the placeholders the reply left unfilled (or only their count)."""
        how = check_choice(source, MACRO_SOURCES, "source")
        ratio = round(min(1.0, max(0.0, float(edit_ratio))), EDIT_RATIO_PLACES)
        names = () if isinstance(unfilled, int) else tuple(dict.fromkeys(str(n) for n in unfilled))
        self._put(
            session,
            EventKind.COPIED,
            item_id=macro_id,
            item_kind=ItemKind.MACRO,
            source=how,
            edit_ratio=ratio,
            unfilled=max(0, unfilled) if isinstance(unfilled, int) else len(names),
            placeholders=names,
            product=product,
        )

    def search(self, session: str, query: str, result_count: int) -> None:
        """A typed search: the redacted query is kept, or only ``[pasted text]`` when it is too long."""
        if not self._enabled:
            return  # skip the redaction work too
        cleaned = short_text(query, MAX_QUERY_WORDS, MAX_QUERY_CHARS)
        terms = (PASTED,) if cleaned is None else (cleaned,) if cleaned else ()
        self._put(session, EventKind.SEARCH, terms=terms, result_count=max(0, int(result_count)))

    def feedback(
        self, session: str, item_id: str, helpful: bool, kind: str | None = None, product: str | None = None
    ) -> None:
        """A helpful / not helpful vote on an article or a macro (``kind``, when the caller knows it)."""
        item_kind = check_choice(kind, ItemKind, "kind") if kind else None
        self._put(
            session,
            EventKind.FEEDBACK,
            item_id=item_id,
            item_kind=item_kind,
            helpful=bool(helpful),
            product=product,
        )

    def none_fit(self, session: str, key_terms: Sequence[str]) -> None:
        """The associate said no suggestion fits; the case's key terms (redacted) show the content gap."""
        if not self._enabled:
            return
        terms = (short_text(t, MAX_TERM_WORDS, MAX_TERM_CHARS) for t in key_terms[:MAX_KEY_TERMS])
        self._put(session, EventKind.NONE_FIT, terms=tuple(t for t in terms if t))  # over-long "terms" are dropped

    def _put(self, session: str, kind: EventKind, **fields: object) -> None:
        if not self._enabled:
            return
        fields["product"] = fields.get("product") or None  # an item without a product says nothing
        event = Event(
            session=session,
            kind=kind,
            ts=self._clock(),
            app_version=self.app_version,
            kb_version=self.kb_version,
            **fields,  # type: ignore[arg-type]
        )
        with self._cond:  # checked again under the lock: close() may have put the stop mark meanwhile
            if not self._enabled:
                return
            if self._dead:
                self._dropped += 1
                return
            if self._queued - self._done >= MAX_PENDING:
                self._dropped += 1
                if self._dropped == 1 or self._dropped % 10_000 == 0:
                    log.warning("usage queue full; %d events dropped so far", self._dropped)
                return
            self._queued += 1
            self._queue.put(event)

    # ---------------------------------------------------------------- waiting and stopping
    def flush(self, timeout: float = 5.0) -> None:
        """Wait (at most ``timeout`` seconds) until every event recorded so far is committed or given up."""
        if self._thread is None:
            return
        with self._cond:
            target = self._queued
            if not self._cond.wait_for(lambda: self._done >= target, timeout):
                log.warning("usage flush timed out with %d events pending", target - self._done)

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, then stop the writer. Further events are ignored."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._enabled = False
            if self._thread is not None:
                self._queue.put(None)  # after every event already queued, before any later one
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("usage writer still busy at close; %d events may be lost", self.pending)

    def __enter__(self) -> UsageRecorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # ---------------------------------------------------------------- the writer thread
    def _run(self, started: float) -> None:
        try:
            self._serve(started)
        except BaseException as exc:  # a bug: never die in silence (before, events vanished with dropped=0)
            log.exception("usage writer stopped on an unexpected error")
            with self._cond:
                self._dead = True
                lost = self._queued - self._done
                self._done += lost
                self._dropped += lost
                self._cond.notify_all()
            self._say(  # no count in the text: it would be stale at once (``dropped`` has it)
                f"Usage recording stopped after an unexpected error ({type(exc).__name__}); events are not "
                "saved. Restart KB Assist to record again."
            )

    def _serve(self, started: float) -> None:
        store = self._open()
        if store is not None:
            try:
                store.prune(self.retention_days, now=started, keep_waiting=self.team_outbox)
            except UsageStoreError as exc:
                log.warning("could not prune usage events: %s", exc)
        stop = False
        while not stop:
            batch: list[Event] = []
            item = self._queue.get()
            while True:
                if item is None:
                    stop = True
                else:
                    batch.append(item)
                if stop or len(batch) >= BATCH_MAX:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                store = self._write(store, batch)
        if store is not None:
            store.close()

    def _open(self) -> UsageStore | None:
        try:
            return UsageStore(self.db_path, busy_timeout=self.busy_timeout)
        except UsageStoreError as exc:
            log.warning("usage database %s cannot be opened: %s", self.db_path, exc)
            return None

    def _write(self, store: UsageStore | None, batch: list[Event]) -> UsageStore | None:
        """Commit ``batch``, retrying expected failures; returns the store to use for the next batch."""
        for delay in (*RETRY_DELAYS, None):
            if store is None:
                store = self._open()
            if store is not None:
                try:
                    store.add(batch)
                except StoreCorruptError as exc:
                    log.warning("usage database damaged while writing (%s); reopening", exc)
                    store.close()
                    store = None
                except UsageStoreError as exc:
                    log.info("usage events not written yet (%s); will retry", exc)
                except Exception:  # a bug: keep the writer alive for the next batch, but say so loudly
                    log.exception("unexpected error writing %d usage events; dropped", len(batch))
                    self._finish(len(batch), committed=False)
                    return store
                else:
                    self._finish(len(batch), committed=True)
                    self._say(None)
                    _notify(self.on_committed, len(batch))
                    return store
            if delay is not None:
                time.sleep(delay)
        log.warning("gave up writing %d usage events", len(batch))
        self._finish(len(batch), committed=False)
        self._say("Usage events are not being saved: the usage database cannot be written.")
        return store

    def _finish(self, count: int, committed: bool) -> None:
        with self._cond:
            self._done += count
            if committed:
                self._committed += count
            else:
                self._dropped += count
            self._cond.notify_all()
