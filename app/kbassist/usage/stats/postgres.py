"""The team database as a ``RollupReader``: the same figures as the local file, from every associate's usage.

All of one report's questions are asked in one read-only REPEATABLE READ transaction, so the figures agree
with each other even while associates upload. Editors need SELECT on the rollup tables only
(``usage/team/rollups.py``); events themselves are never read here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg


class PostgresReader:
    """Runs the figures' queries (written with ``?`` placeholders, tables unqualified) on ``conn``."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return list(self._conn.execute(sql.replace("%", "%%").replace("?", "%s"), params).fetchall())


@contextlib.contextmanager
def snapshot(conn: psycopg.Connection[Any]) -> Iterator[PostgresReader]:
    """A reader over one consistent, read-only view of the team's rollups (``conn`` in autocommit mode)."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute("SET LOCAL search_path = kbassist")
        yield PostgresReader(conn)
