"""The editors' figures from the team database, against a real PostgreSQL server.

The same events give the same ``Stats`` from the local file and from the team database (one implementation of
every figure, fed by either); the rollups the trigger keeps equal a recomputation from scratch however the
uploads arrive (out of order, sent twice, two connections uploading one case at once); editors read them,
associates cannot, and a session cannot slip its own work tables under the trigger.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors, sql

from kbassist.usage import Event, UsageStore, compute_stats
from kbassist.usage.rollup_sql import DAY_TABLES
from kbassist.usage.stats.postgres import snapshot
from kbassist.usage.team.admin import init_schema
from kbassist.usage.team.connection import connect
from kbassist.usage.team.ingest import upload
from kbassist.usage.team.migrations import MIGRATIONS
from postgres import Login, PgServer, TeamDb, create_database, drop_database, drop_roles, with_login
from rollup_reference import history, read_tables, recompute
from test_team_cli import kbassist, one_line_error
from test_usage_stats import ITEMS, SCENARIOS, TODAY, _plan, _record

KEYS = {table.name: len(table.keys) for table in DAY_TABLES}


def _server_tables(team: TeamDb) -> dict[str, dict[tuple[str, ...], tuple[int, ...]]]:
    with team.admin() as conn:
        return read_tables(lambda q: conn.execute(q.replace("FROM ", "FROM kbassist.")).fetchall(), KEYS, KEYS)


def _uploads(rng: random.Random, events: list[Event], resend: float = 0.2) -> list[list[Event]]:
    """Batches in a random order, cases split across them, some sent again (a crash before the local mark)."""
    shuffled = events[:]
    rng.shuffle(shuffled)
    batches: list[list[Event]] = []
    while shuffled:
        size = rng.choice([1, 7, 40, 200])
        batches.append(shuffled[:size])
        shuffled = shuffled[size:]
        if rng.random() < resend:
            batches.append(batches[rng.randrange(len(batches))])
    return batches


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> list[Event]:
    """The stats tests' generated history (about 6,000 events, recorded by the real recorder) and awkward
    cases: across midnight, outside any case, unranked, votes without a kind."""
    db = tmp_path_factory.mktemp("plan") / "usage.sqlite3"
    _record(_plan(), db)
    with UsageStore(db) as store:
        return [*store.events(), *history(1), *history(2)]


def _stats_json(reader: Any, since: dt.date | None, until: dt.date | None, product: str | None) -> dict[str, Any]:
    data = compute_stats(reader, ITEMS, since, until, product, stale_after_days=365, today=TODAY).to_json()
    return json.loads(json.dumps(data))


def test_the_same_events_give_the_same_stats_from_sqlite_and_postgresql(
    team_db: TeamDb, everything: list[Event], tmp_path: Path
) -> None:
    rng = random.Random(12)
    associate = team_db.add_associate()
    with UsageStore(tmp_path / "local.sqlite3") as store:
        for batch in _uploads(rng, everything, resend=0):
            store.add(batch)
        with connect(associate.url) as conn:
            for batch in _uploads(rng, everything):
                upload(conn, batch)
        editor = team_db.add_editor()
        midnight = [(dt.date(2026, 3, 9), dt.date(2026, 3, 9), None), (dt.date(2026, 3, 10), None, "refunds")]
        scenarios = [*SCENARIOS, *midnight]
        with psycopg.connect(editor.url, autocommit=True) as conn:
            for since, until, product in scenarios:
                local = _stats_json(store, since, until, product)
                with snapshot(conn) as reader:
                    team = _stats_json(reader, since, until, product)
                assert team == local, (since, until, product)
                assert local["associates"] == 1 and local["sessions"] > 0
    assert _server_tables(team_db) == recompute(everything)


def test_associates_are_counted_by_pseudonym(team_db: TeamDb) -> None:
    logins = [team_db.add_associate() for _ in range(3)]
    for n, login in enumerate(logins):
        with connect(login.url) as conn:
            upload(conn, history(20 + n, cases=5))
    editor = team_db.add_editor()
    with psycopg.connect(editor.url, autocommit=True) as conn, snapshot(conn) as reader:
        stats = compute_stats(reader, [])
        assert stats.associates == 3 and stats.sessions == 15
        only = compute_stats(reader, [], dt.date(2026, 3, 10), dt.date(2026, 3, 10))
        assert 0 < only.associates <= 3


def _concurrently(login: Login, batches: list[list[Event]], failures: list[BaseException]) -> None:
    try:
        with connect(login.url) as conn:
            for batch in batches:
                for attempt in range(5):  # a deadlock fails the upload whole; the sync sends it again
                    try:
                        upload(conn, batch)
                        break
                    except errors.DeadlockDetected:
                        if attempt == 4:
                            raise
    except BaseException as exc:
        failures.append(exc)


@pytest.mark.parametrize("seed", range(3))
def test_two_connections_uploading_the_same_cases_at_once_leave_exact_rollups(team_db: TeamDb, seed: int) -> None:
    """Two instances on one outbox: every case is sent by both, in different orders, at the same time."""
    events = history(40 + seed, cases=60)
    login = team_db.add_associate()
    failures: list[BaseException] = []
    orders = [_uploads(random.Random(seed * 10 + n), events, 0.3) for n in range(2)]
    threads = [threading.Thread(target=_concurrently, args=(login, order, failures)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    assert sorted(team_db.event_ids()) == sorted(e.event_id for e in events)
    assert _server_tables(team_db) == recompute(events)


def test_a_database_with_events_gets_its_rollups_when_migrated(pg_server: PgServer) -> None:
    """Events uploaded at schema v1, before the rollups existed, are in them once team init has run."""
    name = create_database(pg_server.url)
    admin = with_login(pg_server.url, dbname=name)
    role, password = f"early_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    events = history(50)
    try:
        with connect(admin, admin=True) as conn, conn.transaction():
            for statement in MIGRATIONS[0]:
                conn.execute(statement)
            conn.execute("INSERT INTO kbassist.schema_version (version) VALUES (1)")
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE kbassist_associate").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
            conn.execute("INSERT INTO kbassist.associates (role) VALUES (%s)", (role,))
        with connect(with_login(admin, user=role, password=password)) as conn:
            upload(conn, events)
        with connect(admin, admin=True) as conn:
            init_schema(conn)
        assert _server_tables(TeamDb(admin)) == recompute(events)
    finally:
        drop_database(pg_server.url, name)
        drop_roles(pg_server.url, [role])


def test_editors_read_the_rollups_and_associates_cannot(team_db: TeamDb) -> None:
    associate = team_db.add_associate()
    with connect(associate.url) as conn:
        upload(conn, history(60, cases=3))
        for table in DAY_TABLES:
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM kbassist.{table.name}")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("DELETE FROM kbassist.item_days")
    editor = team_db.add_editor()
    with psycopg.connect(editor.url, autocommit=True) as conn:
        with snapshot(conn) as reader:
            assert compute_stats(reader, []).sessions == 3
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("UPDATE kbassist.session_days SET sessions = 0")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SELECT kbassist.roll_up_events()")


@pytest.mark.parametrize(
    ("setting", "refusal", "says"),
    [
        # The trigger runs as the schema's owner: a temporary table of the caller's named like a work table,
        # with a trigger of its own, would run the caller's code with the owner's rights.
        ("CREATE TEMP TABLE case_events (sign integer)", errors.InsufficientPrivilege, "work table"),
        # Under a snapshot older than the lock, two uploads of one case would each miss the other's events.
        ("SET default_transaction_isolation = 'repeatable read'", errors.FeatureNotSupported, "READ COMMITTED"),
    ],
)
def test_uploads_the_trigger_cannot_keep_exact_are_refused(
    team_db: TeamDb, setting: str, refusal: type[Exception], says: str
) -> None:
    associate = team_db.add_associate()
    with connect(associate.url) as conn:
        conn.execute(setting)
        with pytest.raises(refusal, match=says):
            upload(conn, history(61, cases=2))
    assert team_db.event_ids() == []


def test_kbassist_stats_team_prints_the_whole_teams_figures(team_db: TeamDb, tmp_path: Path) -> None:
    """``kbassist stats --team`` gives what ``kbassist stats`` gives on a desktop that recorded the same events,
    plus how many associates; without an editor's login it says what is missing in one line."""
    events = history(70, cases=30)
    home = tmp_path / "home"
    db = home / "data" / "usage.sqlite3"
    with UsageStore(db) as store:
        store.add(events)
    associate = team_db.add_associate()
    with connect(associate.url) as conn:
        upload(conn, events)
    editor = team_db.add_editor()
    since = ("--since", "2026-03-09", "--json")
    local = kbassist(home, "stats", *since)
    team = kbassist(home, "stats", "--team", *since, db=editor.url)
    assert local.returncode == 0 and team.returncode == 0, (local.stderr, team.stderr)
    assert json.loads(team.stdout) == json.loads(local.stdout)
    assert json.loads(team.stdout)["associates"] == 1 and json.loads(team.stdout)["sessions"] > 0
    text = kbassist(home, "stats", "--team", db=editor.url)
    assert text.returncode == 0 and "1 associates" in text.stdout.splitlines()[1]
    assert editor.password not in text.stdout + team.stdout + team.stderr
    csv = kbassist(home, "stats", "--team", "--csv", db=editor.url)
    assert csv.stdout.splitlines()[0].startswith("id,title,product,suggested")
    refused = one_line_error(kbassist(home, "stats", "--team", db=associate.url))
    assert "add-editor" in refused and associate.password not in refused
    assert "KBASSIST_TEAM_DB" in one_line_error(kbassist(home, "stats", "--team"))


@pytest.mark.gui
def test_the_stats_view_switches_to_the_whole_team(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QCheckBox

    from kbassist.ui.stats_view import StatsView

    events = history(80, cases=20)
    db = tmp_path / "usage.sqlite3"
    mine = [e for e in events if e.session in {f"case-80-{n:03d}" for n in range(5)}]
    with UsageStore(db) as store:
        store.add(mine)  # this desktop recorded 5 of the team's cases
    with connect(team_db.add_associate().url) as conn:
        upload(conn, events)
    editor = team_db.add_editor()
    url: list[str | None] = [None]
    view = StatsView(db, list, 365, team_db=lambda: url[0])
    qtbot.addWidget(view)
    view.since.setDate(QDate(2026, 1, 1))
    qtbot.waitUntil(lambda: view.stats is not None and view.stats.sessions == 5, timeout=20_000)
    team = view.findChild(QCheckBox, "statsTeam")
    assert not team.isEnabled() and "Settings" in team.toolTip()
    url[0] = editor.url
    view.refresh()
    assert team.isEnabled()
    team.setChecked(True)
    qtbot.waitUntil(lambda: view.summary.text().startswith("The team: 1 associate ·"), timeout=20_000)
    assert view.stats is not None and view.stats.sessions == 20
    assert editor.password not in view.summary.text()
    team.setChecked(False)
    qtbot.waitUntil(lambda: view.stats is not None and view.stats.sessions == 5, timeout=20_000)
    url[0] = with_login(editor.url, password="Xq9-not-the-password")
    team.setChecked(True)
    qtbot.waitUntil(lambda: view.summary.text().startswith("Could not read the team's figures"), timeout=20_000)
    assert "refused the login" in view.summary.text() and "Xq9" not in view.summary.text()
