"""The editors' rollups in the local usage file: the SQLite side of ``rollup_sql``.

Schema v4 creates the tables and fills them from the events already recorded; from then on the writer keeps
them in step inside the transaction that inserts a batch (``roll_up``), and pruning takes the pruned events'
contributions out (``prune``). A reader of a file that is still at an older version (``kbassist stats`` never
migrates a file) builds them as temporary tables instead (``temporary``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Final

from kbassist.usage.rollup_sql import (
    AFTER_INSERT,
    APPLY,
    DAY_TABLES,
    EVENT_COLUMNS,
    FILL,
    LOAD_AFTER,
    LOAD_BEFORE,
    START,
    work_tables,
)

# On an associate's machine every event is theirs: the associate column of the rollups is ''.
EVENTS_VIEW: Final = f"VIEW rollup_events AS SELECT {EVENT_COLUMNS}, '' AS associate FROM events"
WORK: Final = work_tables("TEXT")

# Schema v4: the rollup tables, the view they read events through, and their contents from the events so far.
MIGRATION: Final = (*(table.create() for table in DAY_TABLES), f"CREATE {EVENTS_VIEW}", *WORK, *FILL)


def _run(conn: sqlite3.Connection, statements: Iterable[str]) -> None:
    for statement in statements:
        conn.execute(statement)


def prepare(conn: sqlite3.Connection) -> None:
    """The connection's work tables (temporary: each connection has its own)."""
    _run(conn, WORK)


def temporary(conn: sqlite3.Connection) -> None:
    """Rollups for a file older than v4 opened read-only: built in temporary tables, the file untouched."""
    _run(conn, (*(table.create(temporary=True) for table in DAY_TABLES), f"CREATE TEMP {EVENTS_VIEW}", *WORK, *FILL))


def roll_up(conn: sqlite3.Connection, inserted: Iterable[tuple[str, str]]) -> None:
    """Bring the rollups up to date with the rows just inserted, ``(event_id, session)`` each (SQLite has no
    transition tables: the writer names them in ``batch``); in the
    caller's transaction, so events and figures are committed together."""
    conn.execute("DELETE FROM batch")
    conn.executemany("INSERT INTO batch (event_id, session) VALUES (?, ?)", inserted)
    _run(conn, AFTER_INSERT)


def prune(conn: sqlite3.Connection, where: str, params: tuple[object, ...]) -> int:
    """Delete the events matching ``where`` and their part of the rollups; returns how many went.

    The cases they belonged to are counted again from what is left of them (a case cut in two by the
    retention limit now starts on the day of its first kept event)."""
    _run(conn, START)
    conn.execute("DELETE FROM batch")
    cases = f"INSERT INTO affected (session) SELECT DISTINCT session FROM events WHERE session <> '' AND {where}"
    outside = f"INSERT INTO affected (session, event_id) SELECT '', event_id FROM events WHERE session = '' AND {where}"
    conn.execute(cases, params)
    conn.execute(outside, params)
    if conn.execute("SELECT count(*) FROM affected").fetchone()[0] == 0:
        return 0
    _run(conn, LOAD_BEFORE)
    removed = conn.execute(f"DELETE FROM events WHERE {where}", params).rowcount
    _run(conn, (*LOAD_AFTER, *APPLY))
    return int(removed)


def clear(conn: sqlite3.Connection) -> None:
    _run(conn, ("DELETE FROM events", *(f"DELETE FROM {table.name}" for table in DAY_TABLES)))

