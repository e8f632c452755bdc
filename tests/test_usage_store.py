"""The usage database on disk: schema versions, WAL, transactions, pruning, damaged and locked files."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from kbassist.content.model import ItemKind, Macro
from kbassist.usage import (
    SCHEMA_VERSION,
    Event,
    StoreUnavailableError,
    UsageStore,
    compute_stats,
)
from kbassist.usage.events import EventKind, Source, local_day
from kbassist.usage.rows import COLUMNS, STORE_COLUMNS

DAY = 86400.0

# The v1 DDL exactly as the first release wrote it (kept here, frozen, so a later edit of the code's copy
# cannot hide a migration that no longer works on files already in the field).
V1_DDL = """
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
);
CREATE INDEX events_ts ON events (ts);
PRAGMA user_version = 1;
"""


def _event(ts: float, session: str = "s1", kind: str = "session", **fields: object) -> Event:
    return Event(session=session, kind=kind, ts=ts, **fields)  # type: ignore[arg-type]


def _v1_file(path: Path, now: float) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_DDL)
    rows: list[dict[str, object]] = [
        {"ts": now - 3 * DAY, "kind": "session"},
        {"ts": now - 3 * DAY, "kind": "shown", "item_id": "macro-a", "item_kind": "macro", "rank": 1, "score": 7.5},
        {
            "ts": now - 3 * DAY,
            "kind": "copied",
            "item_id": "macro-a",
            "item_kind": "macro",
            "source": "suggestion",
            "edit_ratio": 0.25,
            "unfilled": 1,
        },
        {"ts": now - 2 * DAY, "kind": "search", "terms": '["payout [card]"]', "result_count": 0},
        {"ts": now - 2 * DAY, "kind": "feedback", "item_id": "macro-a", "helpful": 0},
    ]
    for row in rows:
        row |= {"session": "old1", "app_version": "0.0.9"}
        conn.execute(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    conn.commit()
    conn.close()


def test_new_file_is_wal_at_current_version(tmp_path: Path) -> None:
    with UsageStore(tmp_path / "u.sqlite3") as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        assert store.journal_mode == "wal"
        assert store.add([_event(1.0), _event(2.0, kind="search", terms=("q",), result_count=0)]) == 2
        assert [e.kind for e in store.events()] == ["session", "search"]
    raw = sqlite3.connect(tmp_path / "u.sqlite3")
    indexes = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"events_ts", "events_session"} <= indexes
    raw.close()


def test_migration_from_v1_keeps_rows_and_new_schema_works(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite3"
    now = time.time()
    _v1_file(path, now)
    with UsageStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        old = list(store.events())
        # Events from before v3 get an identity each and their local day; their product stays unknown.
        assert len({uuid.UUID(e.event_id).version for e in old}) == 1 and len({e.event_id for e in old}) == len(old)
        assert all(e.day == local_day(e.ts) and e.product is None for e in old)
        assert [e.kind for e in old] == ["session", "shown", "copied", "search", "feedback"]
        assert all(e.kb_version == "" and e.app_version == "0.0.9" for e in old)
        assert old[2].edit_ratio == 0.25 and old[2].unfilled == 1 and old[2].source == "suggestion"
        assert old[3].terms == ("payout [card]",) and old[3].result_count == 0
        assert old[4].helpful is False
        store.add(
            [
                _event(
                    now,
                    session="new1",
                    kind="copied",
                    item_id="macro-a",
                    source="search",
                    edit_ratio=0.0,
                    unfilled=0,
                    app_version="0.1.0",
                    kb_version="kb-42",
                )
            ]
        )
        assert [e.kb_version for e in store.events()][-1] == "kb-42"
        macro = Macro("macro-a", "macro", "A", "refunds", (), "", Path("/kb/a.md"), "a.md")
        stats = compute_stats(store, [macro], None, None, None)
        (row,) = stats.macros
        assert (row.id, row.copied, row.suggested, row.not_helpful) == ("macro-a", 2, 1, 1)
        assert (stats.gaps[0].terms, stats.gaps[0].examples) == ("payout", ("payout [card]",))
    with UsageStore(path) as again:  # opening a migrated file changes nothing
        assert again.schema_version == SCHEMA_VERSION and again.count() == 6


def test_every_event_field_is_a_column(tmp_path: Path) -> None:
    """A field added to ``Event`` without the migration that adds its column fails here, not in a user's file."""
    UsageStore(tmp_path / "u.sqlite3").close()
    raw = sqlite3.connect(tmp_path / "u.sqlite3")
    columns = {r[1] for r in raw.execute("PRAGMA table_info(events)")}
    raw.close()
    assert set(COLUMNS) == columns - set(STORE_COLUMNS)


def test_event_reads_back_whole_and_is_stored_as_plain_values(tmp_path: Path) -> None:
    event = Event(
        session="s",
        kind=EventKind.COPIED,
        ts=1.5,
        item_id="m",
        item_kind=ItemKind.MACRO,
        source=Source.FAVORITE,
        rank=2,
        score=1.25,
        edit_ratio=0.5,
        unfilled=1,
        helpful=True,
        terms=("refund", "crédit"),
        result_count=3,
        app_version="1.0",
        kb_version="kb-1",
    )
    with UsageStore(tmp_path / "u.sqlite3") as store:
        store.add([event, _event(2.0, kind="search", source="search")])  # plain strings, as tests write them
        copied, search = store.events()
    assert copied == event
    assert search.kind is EventKind.SEARCH and search.source is Source.SEARCH and search.terms == ()
    raw = sqlite3.connect(tmp_path / "u.sqlite3")
    cursor = raw.execute("SELECT kind, typeof(kind), item_kind, source, helpful, terms FROM events ORDER BY ts")
    rows = cursor.fetchall()
    raw.close()
    assert rows == [
        ("copied", "text", "macro", "favorite", 1, '["refund", "crédit"]'),
        ("search", "text", None, "search", None, None),
    ]


def test_values_a_newer_app_wrote_read_back_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite3"
    UsageStore(path).close()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO events (ts, session, kind, item_kind, source) VALUES (1, 's', 'rated', 'video', 'chat')")
    raw.commit()
    raw.close()
    with UsageStore(path) as store:
        (event,) = store.events()
    assert (event.kind, event.item_kind, event.source) == ("rated", "video", "chat")


def test_newer_file_is_used_as_is(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "u.sqlite3"
    with UsageStore(path) as store:
        store.add([_event(1.0)])
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 9")
    conn.close()
    with UsageStore(path) as store:
        assert store.schema_version == 9 and store.count() == 1
        store.add([_event(2.0)])
    assert "newer than this app" in caplog.text


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    with UsageStore(tmp_path / "u.sqlite3") as store:
        store.add([_event(1.0)])
        with pytest.raises(RuntimeError), store.transaction() as conn:
            conn.execute("INSERT INTO events (ts, session, kind) VALUES (2, 's', 'session')")
            raise RuntimeError("boom")
        assert store.count() == 1
        with store.transaction() as conn:
            conn.execute("INSERT INTO events (ts, session, kind) VALUES (3, 's', 'session')")
        assert store.count() == 2


def test_prune_removes_only_old_events(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    with UsageStore(tmp_path / "u.sqlite3") as store:
        store.add([_event(now - d * DAY, session=f"s{d}") for d in (0, 10, 179.9, 180.1, 200, 400)])
        assert store.prune(180, now=now) == 3
        assert sorted(e.session for e in store.events()) == ["s0", "s10", "s179.9"]
        assert store.prune(180, now=now) == 0


def test_garbage_file_is_moved_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "u.sqlite3"
    path.write_bytes(b"this is not a database, it is a shopping list" * 100)
    with UsageStore(path) as store:
        assert store.moved_aside is not None and store.moved_aside.read_bytes().startswith(b"this is not")
        store.add([_event(1.0)])
        assert store.count() == 1 and store.schema_version == SCHEMA_VERSION
    assert "damaged" in caplog.text


def test_damaged_pages_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite3"
    with UsageStore(path) as store:
        store.add(
            [_event(float(i), session=f"session-{i:05d}" * 4, kind="search", terms=("x" * 200,)) for i in range(3000)]
        )
    conn = sqlite3.connect(path)  # fold the WAL into the main file so the damage below hits real pages
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.seek(size // 2)
        fh.write(b"\xff" * 8192)
    with UsageStore(path) as store:
        assert store.moved_aside is not None
        assert store.count() == 0
        store.add([_event(1.0)])


def test_locked_file_is_an_expected_error(tmp_path: Path) -> None:
    path = tmp_path / "u.sqlite3"
    UsageStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with UsageStore(path, busy_timeout=0.1) as store, pytest.raises(StoreUnavailableError):
            store.add([_event(1.0)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_unwritable_folder_is_an_expected_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreUnavailableError):
        UsageStore(blocker / "u.sqlite3")


def test_events_between_bounds(tmp_path: Path) -> None:
    with UsageStore(tmp_path / "u.sqlite3") as store:
        store.add([_event(float(t)) for t in (5, 1, 3, 2, 4)])
        assert [e.ts for e in store.events()] == [1, 2, 3, 4, 5]
        assert [e.ts for e in store.events(2, 4)] == [2, 3]
        assert [e.ts for e in store.events(since=4)] == [4, 5]


def test_dates_in_stats_are_local_days(tmp_path: Path) -> None:
    day = dt.date(2026, 3, 10)
    at = [
        dt.datetime.combine(day - dt.timedelta(days=1), dt.time(23, 59, 59)),
        dt.datetime.combine(day, dt.time(0, 0, 1)),
        dt.datetime.combine(day, dt.time(23, 59, 59)),
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0, 1)),
    ]
    with UsageStore(tmp_path / "u.sqlite3") as store:
        store.add(
            [
                _event(
                    t.timestamp(),
                    session=f"s{i}",
                    kind="copied",
                    item_id="m",
                    source="suggestion",
                    edit_ratio=0.0,
                    unfilled=0,
                )
                for i, t in enumerate(at)
            ]
        )
        (only,) = compute_stats(store, [], day, day, None).macros
        assert only.copied == 2 and only.last_used == day
        assert compute_stats(store, [], day + dt.timedelta(days=1), None, None).macros[0].copied == 1
        assert compute_stats(store, [], None, day - dt.timedelta(days=1), None).macros[0].copied == 1


# ---------------------------------------------------------------------------- the team database's outbox
def test_outbox_gives_waiting_events_oldest_first_in_batches(tmp_path: Path) -> None:
    with UsageStore(tmp_path / "u.sqlite3") as store:
        events = [_event(float(t), session=f"s{t}") for t in range(7)]
        store.add(events)
        assert store.waiting_count() == 7
        first = store.waiting(3)
        assert first == events[:3]
        store.mark_uploaded(e.event_id for e in first)
        assert store.waiting(10) == events[3:] and store.waiting_count() == 4
        store.mark_uploaded(e.event_id for e in events)  # marking again, or events already marked: harmless
        assert store.waiting(10) == [] and store.waiting_count() == 0
        assert store.count() == 7  # uploading never removes anything locally


def test_prune_keeps_waiting_events_while_a_team_database_is_set(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    with UsageStore(tmp_path / "u.sqlite3") as store:
        old_sent, old_waiting, recent = (
            _event(now - d * DAY, session=s) for d, s in ((300, "a"), (200, "b"), (1, "c"))
        )
        store.add([old_sent, old_waiting, recent])
        store.mark_uploaded([old_sent.event_id])
        assert store.prune(180, now=now, keep_waiting=True) == 1
        assert sorted(e.session for e in store.events()) == ["b", "c"]
        assert store.prune(180, now=now) == 1  # without a team database, age alone decides
        assert [e.session for e in store.events()] == ["c"]


def test_clear_forgets_waiting_events_too(tmp_path: Path) -> None:
    """The associate asked for their usage to be deleted: what was not sent yet is never sent."""
    with UsageStore(tmp_path / "u.sqlite3") as store:
        store.add([_event(1.0), _event(2.0)])
        store.clear()
        assert store.waiting_count() == 0 and store.waiting(10) == []
