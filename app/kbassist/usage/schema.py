"""The usage database's tables, one version at a time.

``PRAGMA user_version`` holds the version a file is at. A new file gets ``V1`` and then every migration in
order, exactly like an old file does, so the path an upgrading user takes is the path every test takes.
Never edit a released step: add the next one. Every column but ``id`` is a field of ``Event`` (``rows.py``
maps one to the other), so a new field comes with the step that adds its column.
"""

from __future__ import annotations

from typing import Final

from kbassist.usage import local_rollups

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

# A version 4 UUID from SQLite's own random bytes, for events recorded before events had an identity.
_UUID4 = (
    "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2)"
    " || '-' || substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2)"
    " || '-' || lower(hex(randomblob(6)))"
)

# v3: what a team's shared database needs. Each event gets its identity (uploads are idempotent on it), the
# associate's calendar day, the product of its item and the placeholders a copy left unfilled; this file is
# also the outbox of a team database, ``uploaded`` saying what has reached it. Old events get a new identity
# and their day in this machine's time zone; their product stays unknown.
V3: Final[tuple[str, ...]] = (
    "ALTER TABLE events ADD COLUMN event_id TEXT",
    "ALTER TABLE events ADD COLUMN day TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE events ADD COLUMN product TEXT",
    "ALTER TABLE events ADD COLUMN placeholders TEXT",
    "ALTER TABLE events ADD COLUMN uploaded INTEGER NOT NULL DEFAULT 0",
    f"UPDATE events SET event_id = {_UUID4}, day = date(ts, 'unixepoch', 'localtime')",
    "CREATE UNIQUE INDEX events_event_id ON events (event_id)",
    "CREATE INDEX events_waiting ON events (id) WHERE uploaded = 0",
    "CREATE INDEX events_day ON events (day)",
)

# v4: the editors' rollups (``rollup_sql.py``: per-day sums that every figure reads, kept in step by the
# writer), filled from the events already recorded.
V4: Final[tuple[str, ...]] = local_rollups.MIGRATION

# Index i holds the statements that take a file from version i to version i + 1.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (V1, V2, V3, V4)
SCHEMA_VERSION: Final = len(MIGRATIONS)
ROLLUPS_VERSION: Final = 4  # the first version with the rollups
