"""The usage database's tables, one version at a time.

``PRAGMA user_version`` holds the version a file is at. A new file gets ``V1`` and then every migration in
order, exactly like an old file does, so the path an upgrading user takes is the path every test takes.
Never edit a released step: add the next one. Every column but ``id`` is a field of ``Event`` (``rows.py``
maps one to the other), so a new field comes with the step that adds its column.
"""

from __future__ import annotations

from typing import Final

# v1: one row per event. Times are seconds since the epoch (UTC); dates are derived when reading.
V1: Final[tuple[str, ...]] = (
    """
    CREATE TABLE events (
        id           INTEGER PRIMARY KEY,
        ts           REAL    NOT NULL,
        session      TEXT    NOT NULL,
        kind         TEXT    NOT NULL,
        item_id      TEXT,
        item_kind    TEXT,
        source       TEXT,
        rank         INTEGER,
        score        REAL,
        edit_ratio   REAL,
        unfilled     INTEGER,
        helpful      INTEGER,
        terms        TEXT,
        result_count INTEGER,
        app_version  TEXT    NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX events_ts ON events (ts)",
)

# v2: the KB version next to the app version (a KB release changes figures as much as an app release),
# and an index for the per-session questions the stats ask.
V2: Final[tuple[str, ...]] = (
    "ALTER TABLE events ADD COLUMN kb_version TEXT NOT NULL DEFAULT ''",
    "CREATE INDEX events_session ON events (session, kind)",
)

# Index i holds the statements that take a file from version i to version i + 1.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (V1, V2)
SCHEMA_VERSION: Final = len(MIGRATIONS)
