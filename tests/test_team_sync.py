"""Uploading the local outbox to the team database (a real PostgreSQL server): batches, idempotence, the
state the status bar shows, the name an associate may show, and what each failure says."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kbassist.settings import TEAM_DB_ENV, Settings, load_settings, save_settings, team_url, without_password
from kbassist.usage import Event, EventKind, UsageRecorder, UsageStore
from kbassist.usage.team import (
    Phase,
    SyncState,
    TeamConfigError,
    TeamLoginError,
    TeamOfflineError,
    TeamRightsError,
    TeamSchemaError,
    TeamSync,
    redact_url,
)
from kbassist.usage.team.state import Backoff, clock_time
from postgres import PgServer, TeamDb, outbox, wait_for, with_login


def fast_backoff() -> Backoff:
    return Backoff(first=0.05, cap=0.2)


# ---------------------------------------------------------------------------- uploading
def test_sync_now_uploads_everything_in_batches_and_marks_it(team_db: TeamDb, tmp_path: Path) -> None:
    alice = team_db.add_associate()
    db = tmp_path / "usage.sqlite3"
    events = outbox(db, 1234)
    sync = TeamSync(db, alice.url, batch_size=100)
    result = sync.sync_now()
    assert result.to_json() == {"uploaded": 1234, "waiting": 0, "duplicates_skipped": 0}
    assert sorted(team_db.event_ids()) == sorted(e.event_id for e in events)
    with UsageStore(db) as store:
        assert store.waiting_count() == 0
    assert sync.state.phase is Phase.SYNCED and sync.state.text() == "Team: synced"
    assert sync.sync_now().to_json() == {"uploaded": 0, "waiting": 0, "duplicates_skipped": 0}


def test_events_read_back_from_the_server_as_they_were_recorded(team_db: TeamDb, tmp_path: Path) -> None:
    from kbassist.usage.rows import COLUMNS, from_row

    alice = team_db.add_associate()
    db = tmp_path / "usage.sqlite3"
    rich = Event(
        session="s",
        kind=EventKind.COPIED,
        ts=1_760_000_123.25,
        item_id="macro-x",
        item_kind="macro",  # type: ignore[arg-type]
        source="favorite",
        edit_ratio=0.125,
        unfilled=2,
        placeholders=("amount", "date"),
        product="billing",
        app_version="1.2",
        kb_version="kb-7",
    )
    vote = Event(session="s", kind=EventKind.FEEDBACK, ts=1_760_000_124.0, item_id="a", helpful=False)
    search = Event(session="s", kind=EventKind.SEARCH, ts=1_760_000_125.0, terms=("payout [card]",), result_count=0)
    with UsageStore(db) as store:
        store.add([rich, vote, search])
    TeamSync(db, alice.url).sync_now()
    with team_db.admin() as conn:
        listed = ", ".join(f"{name}::text" if name == "event_id" else name for name in COLUMNS)
        rows = conn.execute(f"SELECT {listed} FROM kbassist.events ORDER BY ts")
        assert [from_row(tuple(row)) for row in rows] == [rich, vote, search]


def test_a_restored_backup_sends_again_and_the_server_skips_it_all(team_db: TeamDb, tmp_path: Path) -> None:
    alice = team_db.add_associate()
    db = tmp_path / "usage.sqlite3"
    outbox(db, 300)
    shutil.copyfile(db, tmp_path / "backup.sqlite3")
    assert TeamSync(db, alice.url).sync_now().uploaded == 300
    shutil.copyfile(tmp_path / "backup.sqlite3", db)
    outbox(db, 5, start=1_770_000_000.0)  # recorded after the restore
    result = TeamSync(db, alice.url).sync_now()
    assert result.to_json() == {"uploaded": 5, "waiting": 0, "duplicates_skipped": 300}
    ids = team_db.event_ids()
    assert len(ids) == len(set(ids)) == 305


def test_the_thread_uploads_what_the_recorder_commits(team_db: TeamDb, tmp_path: Path) -> None:
    alice = team_db.add_associate()
    db = tmp_path / "usage.sqlite3"
    states: list[SyncState] = []
    sync = TeamSync(db, alice.url, interval=60.0)  # only a poke can make it go again within the test
    sync.on_state = states.append
    with UsageRecorder(db, team_outbox=True) as recorder:
        recorder.on_committed = lambda _count: sync.poke()
        sync.start()
        try:
            session = recorder.new_session()
            recorder.suggestion_shown(session, "macro-a", "macro", 1, 3.0, product="refunds")
            recorder.macro_copied(session, "macro-a", 0.1, ["amount"], "suggestion", product="refunds")
            wait_for(lambda: len(team_db.event_ids()) == 3)
            wait_for(lambda: sync.state.waiting == 0 and sync.state.phase is Phase.SYNCED)
        finally:
            sync.stop()
    assert states and states[-1].text() == "Team: synced"  # each change was told, the last one too


def test_the_last_upload_at_close_sends_what_waits(team_db: TeamDb, tmp_path: Path) -> None:
    alice = team_db.add_associate()
    db = tmp_path / "usage.sqlite3"
    sync = TeamSync(db, alice.url, interval=3600.0, batch_size=100)
    sync.start()
    wait_for(lambda: sync.state.phase is Phase.SYNCED)
    events = outbox(db, 700)  # committed with no poke: the thread rests for an hour
    assert sync.finish(timeout=60.0)  # the window gives it FINAL_UPLOAD_S; a loaded test machine more
    assert sorted(team_db.event_ids()) == sorted(e.event_id for e in events)
    with UsageStore(db) as store:
        assert store.waiting_count() == 0


def test_the_last_upload_with_the_server_away_keeps_everything(team_db: TeamDb, tmp_path: Path) -> None:
    alice = team_db.add_associate()
    db = tmp_path / "usage.sqlite3"
    outbox(db, 4)
    sync = TeamSync(db, with_login(alice.url, port=1), backoff=Backoff(first=3600.0, cap=3600.0))
    sync.start()
    wait_for(lambda: sync.state.phase is Phase.OFFLINE)  # backing off for an hour
    assert sync.finish(timeout=60.0)  # one more try, refused at once: it ends without the hour
    assert sync.state.phase is Phase.OFFLINE and team_db.event_ids() == []
    with UsageStore(db) as store:
        assert store.waiting_count() == 4


def test_the_name_editors_see_follows_the_setting(team_db: TeamDb, tmp_path: Path) -> None:
    alice, editor = team_db.add_associate(), team_db.add_editor()
    db = tmp_path / "usage.sqlite3"

    def shown() -> object:
        with team_db.admin() as conn:
            return conn.execute("SELECT display_name FROM kbassist.associates_public").fetchone()

    sync = TeamSync(db, alice.url, display_name="Alice Martin")  # no usage file yet: the name goes all the same
    sync.sync_now()
    assert shown() == ("Alice Martin",)
    sync.set_display_name(None)
    sync.sync_now()
    assert shown() == (None,)
    assert editor.role  # the editor reads the public view (test_team_schema checks the rights)


# ---------------------------------------------------------------------------- failures, said safely
def _failure(url: str, db: Path) -> tuple[Exception, TeamSync]:
    sync = TeamSync(db, url, backoff=fast_backoff())
    with pytest.raises(Exception) as caught:
        sync.sync_now()
    return caught.value, sync


def test_an_unreachable_server_is_offline_since_the_first_failure(team_db: TeamDb, tmp_path: Path) -> None:
    alice = team_db.add_associate()
    db = tmp_path / "usage.sqlite3"
    outbox(db, 4)
    closed_port = with_login(alice.url, port=1)
    now = [1_760_000_000.0]
    sync = TeamSync(db, closed_port, clock=lambda: now[0])
    for _ in range(2):
        with pytest.raises(TeamOfflineError) as caught:
            sync.sync_now()
        now[0] += 600
    assert sync.state.phase is Phase.OFFLINE and sync.state.offline_since == 1_760_000_000.0
    assert sync.state.text(now[0]) == f"Team: offline since {clock_time(1_760_000_000.0, now[0])} (4 waiting)"
    assert "127.0.0.1:1" in str(caught.value) and alice.password not in str(caught.value)
    sync.poke(3)  # the recorder committed 3 more while offline: counted at once, no knock on the server
    assert sync.state.waiting == 7 and sync.state.text(now[0]).endswith("(7 waiting)")
    sync.url = alice.url  # the associate fixed the address
    assert sync.sync_now().uploaded == 4
    assert sync.state.offline_since is None and sync.state.text() == "Team: synced"


@pytest.mark.parametrize(
    ("case", "error", "label"),
    [
        ("wrong password", TeamLoginError, "login refused"),
        ("no such role", TeamLoginError, "login refused"),
        ("editor's login", TeamRightsError, "no rights"),
        ("no schema", TeamSchemaError, "schema"),
        ("no such database", TeamConfigError, "not set up"),
        ("bad port", TeamConfigError, "not set up"),
    ],
)
def test_each_failure_has_its_kind_and_a_message_without_the_password(
    case: str, error: type[Exception], label: str, team_db: TeamDb, pg_database: str, tmp_path: Path
) -> None:
    alice = team_db.add_associate()
    url = {
        "wrong password": lambda: with_login(alice.url, password="not-" + alice.password),
        "no such role": lambda: with_login(alice.url, user="nobody_here"),
        "editor's login": lambda: team_db.add_editor().url,
        "no schema": lambda: with_login(pg_database, user=alice.role, password=alice.password),
        "no such database": lambda: with_login(alice.url, dbname="no_such_db"),
        "bad port": lambda: alice.url.replace(f":{urlsplit(alice.url).port}/", f":{alice.password}/"),
    }[case]()
    db = tmp_path / "usage.sqlite3"
    outbox(db, 2)
    exc, sync = _failure(url, db)
    assert isinstance(exc, error), (case, exc)
    assert sync.state.phase is Phase.FAILING and sync.state.label == label
    assert sync.state.text() == f"Team: {label} (2 waiting)"
    assert alice.password not in str(exc) and alice.password not in (sync.state.error or "")


def test_backoff_doubles_from_one_second_to_five_minutes_with_jitter() -> None:
    low, high = Backoff(rng=lambda: 0.0), Backoff(rng=lambda: 1.0)
    assert [low.next_delay() for _ in range(11)] == [0.5, 1, 2, 4, 8, 16, 32, 64, 128, 150, 150]
    assert [high.next_delay() for _ in range(11)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    high.reset()
    assert high.next_delay() == 1.0


def test_state_texts() -> None:
    now = 1_760_000_000.0
    assert SyncState().text() == "Team: connecting…"
    assert SyncState(Phase.SYNCED, waiting=0).text() == "Team: synced"
    assert SyncState(Phase.SYNCED, waiting=12).text() == "Team: 12 waiting"
    assert SyncState(Phase.FAILING, waiting=3, label="login refused").text() == "Team: login refused (3 waiting)"
    earlier = now - 3 * 86400
    assert SyncState(Phase.OFFLINE, waiting=3, offline_since=earlier).text(now).startswith("Team: offline since ")
    assert clock_time(earlier, now) != clock_time(earlier, earlier)  # another day: the date is given too


# ---------------------------------------------------------------------------- addresses and passwords
def test_the_environment_wins_over_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TEAM_DB_ENV, raising=False)
    assert team_url("") is None and team_url("postgresql://a@h/d") == "postgresql://a@h/d"
    monkeypatch.setenv(TEAM_DB_ENV, "postgresql://b@h/d")
    assert team_url("postgresql://a@h/d") == "postgresql://b@h/d"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://alice:s3cret@db.example:6543/kb?sslmode=require", "alice@db.example:6543/kb"),
        ("postgresql://alice@db.example/kb?password=s3cret", "alice@db.example:5432/kb"),
        ("host=db.example user=alice password='s3cret' dbname=kb", "alice@db.example:5432/kb"),
        ("postgresql://alice:s3cret@db.example:s3cret/kb", "(an unreadable database address)"),
        ("this is s3cret", "(an unreadable database address)"),
    ],
)
def test_redact_url_never_shows_a_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_settings_never_save_a_password(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(team_db="postgresql://alice:s3cret@db.example:5432/kb?password=s3cret"), path)
    assert "s3cret" not in path.read_text("utf-8")
    assert load_settings(path).team_db == "postgresql://alice@db.example:5432/kb"
    assert without_password("host=h password='a \\' b' user=u") == "host=h user=u"


def test_sync_with_no_usage_file_creates_none(team_db: TeamDb, tmp_path: Path, pg_server: PgServer) -> None:
    alice = team_db.add_associate()
    db = tmp_path / "never-recorded.sqlite3"
    assert TeamSync(db, alice.url).sync_now().to_json() == {"uploaded": 0, "waiting": 0, "duplicates_skipped": 0}
    assert not db.exists()
