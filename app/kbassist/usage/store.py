"""The SQLite file that holds usage events: WAL, versioned schema, and failures that are expected.

Expected problems (the disk is full, another process holds the lock, the file is damaged) surface as
``UsageStoreError`` subclasses so callers can log them and go on; anything else is a bug and is raised
as is. A file that SQLite reports as corrupt is renamed to ``<name>.corrupt-<time>`` and a new one is
started: usage figures are worth less than an app that keeps working.

Durability: WAL with ``synchronous=FULL`` makes every committed transaction survive a killed process
and a power cut; the recorder batches events so the extra fsync per commit is cheap.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from kbassist.usage import local_rollups
from kbassist.usage.events import Event
from kbassist.usage.rows import INSERT, SELECT, from_row, to_row
from kbassist.usage.schema import MIGRATIONS, ROLLUPS_VERSION, SCHEMA_VERSION

log = logging.getLogger(__name__)

MEMORY = ":memory:"
DAY = 86400.0
_WAITING = SELECT + " WHERE uploaded = 0 ORDER BY id LIMIT ?"

# SQLite primary result codes (the low byte of the extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _PROTOCOL, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 15, 26
_UNAVAILABLE = {_BUSY, _LOCKED, _READONLY, _IOERR, _FULL, _CANTOPEN, _PROTOCOL}
_DAMAGED = {_CORRUPT, _NOTADB}


class UsageStoreError(Exception):
    """An expected storage problem: log it and carry on; usage data is never worth a crash."""


class StoreUnavailableError(UsageStoreError):
    """The file cannot be written now (locked, disk full, read-only, I/O error); a later try may work."""


class StoreCorruptError(UsageStoreError):
    """SQLite says the file is damaged or not a database."""


def translate(exc: sqlite3.Error) -> UsageStoreError | None:
    """The expected-problem type for an SQLite error, or None when the error means a bug."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in _DAMAGED:
        return StoreCorruptError(str(exc))
    if primary in _UNAVAILABLE:
        return StoreUnavailableError(str(exc))
    if primary is None and isinstance(exc, sqlite3.OperationalError):
        return StoreUnavailableError(str(exc))  # errors raised before SQLite gave a code (e.g. cannot open)
    return None


@contextlib.contextmanager
def _expected_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        mapped = translate(exc)
        if mapped is None:
            raise
        raise mapped from exc


class UsageStore:
    """One connection to the usage database; use it from the thread that opened it.

    Opening creates the file, switches it to WAL, brings the schema to ``SCHEMA_VERSION`` and, when the
    file is damaged, sets it aside and starts a new one (``moved_aside`` then names the old file).
    Raises ``StoreUnavailableError`` when the file cannot be opened at all.
    """

    def __init__(self, path: Path | str, busy_timeout: float = 5.0, read_only: bool = False) -> None:
        """``read_only``: for readers such as `kbassist stats`, which must never change the file: no
        migration, no WAL switch, and a damaged file raises ``StoreCorruptError`` instead of being moved."""
        self.path = path if str(path) == MEMORY else Path(path)
        self.busy_timeout = busy_timeout
        self.read_only = read_only
        self.moved_aside: Path | None = None
        self._conn = self._open()

    # ---------------------------------------------------------------- opening
    def _open(self) -> sqlite3.Connection:
        if self.read_only:
            return self._connect_read_only()
        try:
            return self._connect()
        except StoreCorruptError as exc:
            if str(self.path) == MEMORY:
                raise
            self.moved_aside = self._move_aside()
            log.warning("usage database %s was damaged (%s); moved to %s", self.path, exc, self.moved_aside.name)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        if isinstance(self.path, Path):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailableError(f"cannot create {self.path.parent}: {exc.strerror}") from exc
        conn: sqlite3.Connection | None = None
        try:
            with _expected_errors():
                conn = sqlite3.connect(str(self.path), timeout=self.busy_timeout, isolation_level=None)
                mode = self._switch_to_wal(conn)
                if str(mode).lower() != "wal" and str(self.path) != MEMORY:
                    log.warning("usage database %s cannot use WAL (journal_mode=%s)", self.path, mode)
                conn.execute("PRAGMA synchronous=FULL")
                check = conn.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise StoreCorruptError(f"quick_check: {check}")
                self._migrate(conn)
                local_rollups.prepare(conn)
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return conn

    def _switch_to_wal(self, conn: sqlite3.Connection) -> str:
        """Switching a new file to WAL takes its lock, and SQLite reports a second process doing the same
        at once as "locked" without waiting for the busy timeout: wait for it here instead."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    def _connect_read_only(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = None
        try:
            with _expected_errors():
                uri = f"{Path(self.path).resolve().as_uri()}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=self.busy_timeout, isolation_level=None)
                check = conn.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise StoreCorruptError(f"quick_check: {check}")
                if conn.execute("PRAGMA user_version").fetchone()[0] < ROLLUPS_VERSION:
                    local_rollups.temporary(conn)
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return conn

    def _move_aside(self) -> Path:
        assert isinstance(self.path, Path)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        try:
            self.path.replace(target)
            wal = self.path.with_name(self.path.name + "-wal")
            if wal.exists():
                wal.replace(target.with_name(target.name + "-wal"))
            self.path.with_name(self.path.name + "-shm").unlink(missing_ok=True)
        except OSError as exc:
            raise StoreUnavailableError(f"cannot move damaged {self.path.name} aside: {exc.strerror}") from exc
        return target

    @staticmethod
    def _migrate(conn: sqlite3.Connection) -> None:
        """Each step reads the version inside its own write transaction, so two processes opening a new
        file at once never both run a step (one waits for the lock, then finds the step done). A file that is
        already current is not locked at all: another process may be holding it."""
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        while True:
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version >= SCHEMA_VERSION:
                    conn.execute("COMMIT")
                    if version > SCHEMA_VERSION:
                        log.warning(
                            "usage database is at schema v%d, newer than this app's v%d", version, SCHEMA_VERSION
                        )
                    return
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            if version:
                log.info("usage database migrated to schema v%d", version + 1)

    # ---------------------------------------------------------------- transactions
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back when the block raises; expected SQLite errors
        come out as ``UsageStoreError``."""
        conn = self._conn
        with _expected_errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # ---------------------------------------------------------------- writing
    def add(self, events: Iterable[Event]) -> int:
        """Write events in one transaction, with the editors' rollups brought up to date in it; returns how
        many."""
        batch = list(events)
        if not batch:
            return 0
        with self.transaction() as conn:
            conn.executemany(INSERT, [to_row(e) for e in batch])
            local_rollups.roll_up(conn, [(e.event_id, e.session) for e in batch])
        return len(batch)

    def prune(self, retention_days: int, now: float | None = None, *, keep_waiting: bool = False) -> int:
        """Delete events older than ``retention_days`` (and their part of the rollups); returns how many went.
        ``keep_waiting`` (a team database is set): events not yet uploaded stay whatever their age, so an
        associate who was offline for longer than the retention period still loses nothing."""
        cutoff = (time.time() if now is None else now) - retention_days * DAY
        where = "ts < ?" + (" AND uploaded = 1" if keep_waiting else "")
        with self.transaction() as conn:
            removed = local_rollups.prune(conn, where, (cutoff,))
        if removed:
            log.info("pruned %d usage events older than %d days", removed, retention_days)
        return removed

    def clear(self) -> None:
        """Forget every event (the associate asked for their usage data to be deleted), waiting ones too, and
        every figure: they are not sent afterwards. What a team database already holds stays there (it is the
        team's record)."""
        with self.transaction() as conn:
            local_rollups.clear(conn)

    # ---------------------------------------------------------------- the team database's outbox
    def waiting(self, limit: int) -> list[Event]:
        """At most ``limit`` events not yet uploaded to the team database, oldest first (by the partial index
        on waiting rows, so the cost does not grow with the events already sent)."""
        with _expected_errors():
            rows = self._conn.execute(_WAITING, (limit,)).fetchall()
        return [from_row(row) for row in rows]

    def mark_uploaded(self, event_ids: Iterable[str]) -> None:
        """The team database holds these events now (inserted, or it had them already)."""
        with self.transaction() as conn:
            conn.executemany("UPDATE events SET uploaded = 1 WHERE event_id = ?", ((i,) for i in event_ids))

    def waiting_count(self) -> int:
        with _expected_errors():
            return int(self._conn.execute("SELECT count(*) FROM events WHERE uploaded = 0").fetchone()[0])

    # ---------------------------------------------------------------- reading
    def events(self, since: float | None = None, until: float | None = None) -> Iterator[Event]:
        """Events with ``since <= ts < until`` (either bound optional), oldest first."""
        where, params = [], []
        if since is not None:
            where.append("ts >= ?")
            params.append(since)
        if until is not None:
            where.append("ts < ?")
            params.append(until)
        sql = SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY ts, id"
        with _expected_errors():
            rows = self._conn.execute(sql, params).fetchall()
        return (from_row(row) for row in rows)

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query: how the editors' figures read the rollups (``stats.reader.RollupReader``)."""
        with _expected_errors():
            return self._conn.execute(sql, params).fetchall()

    def count(self) -> int:
        with _expected_errors():
            return int(self._conn.execute("SELECT count(*) FROM events").fetchone()[0])

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @property
    def journal_mode(self) -> str:
        return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> UsageStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
