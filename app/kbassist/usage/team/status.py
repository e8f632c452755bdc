"""How this desktop's team mode stands, for `kbassist team status`: what waits, and what the server says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from kbassist.usage.store import UsageStore, UsageStoreError
from kbassist.usage.team.connection import connect
from kbassist.usage.team.errors import explain


def waiting_in(db_path: Path) -> int | None:
    """Events waiting in the local file, read without changing it (None when it cannot be read)."""
    if not db_path.is_file():
        return 0
    try:
        with UsageStore(db_path, read_only=True) as store:
            return store.waiting_count()
    except (UsageStoreError, Exception):  # an older file without the outbox column reads as unknown
        return None


def team_status(url: str | None, db_path: Path) -> dict[str, Any]:
    """``waiting``, and when a team database is set: ``reachable``, ``schema_version``, ``associate`` (this
    login's pseudonym, None when it is not an associate's) and ``error`` (safe to show)."""
    status: dict[str, Any] = {
        "waiting": waiting_in(db_path),
        "reachable": False,
        "schema_version": None,
        "associate": None,
        "error": None,
    }
    if not url:
        return status
    try:
        with connect(url) as conn:
            status["reachable"] = True
            row = conn.execute("SELECT kbassist.current_schema_version()").fetchone()
            status["schema_version"] = row[0] if row else None
            try:
                with conn.transaction():
                    mine = conn.execute("SELECT kbassist.current_associate()").fetchone()
                status["associate"] = str(mine[0]) if mine else None
            except psycopg.errors.InsufficientPrivilege:
                pass  # an editor's or an administrator's login
    except (psycopg.Error, OSError, ValueError) as exc:
        status["error"] = str(explain(exc, url))
    return status
