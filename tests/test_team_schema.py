"""The team database's schema and rights, against a real PostgreSQL server: `team init` is versioned, safe to
repeat and to run twice at once; associates may only insert their own events, editors may only read, and
nobody else may do anything."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import errors

from kbassist.usage import Event, EventKind
from kbassist.usage.rows import COLUMNS
from kbassist.usage.team.admin import Group, add_member, check_role_name, init_schema, schema_version
from kbassist.usage.team.connection import connect
from kbassist.usage.team.errors import TeamConfigError, TeamSchemaError
from kbassist.usage.team.ingest import PG_TYPES, upload
from kbassist.usage.team.migrations import MIGRATIONS, SCHEMA_VERSION
from postgres import PgServer, TeamDb, create_database, drop_database, with_login


def _events(n: int, session: str = "s1") -> list[Event]:
    return [Event(session=session, kind=EventKind.SESSION, ts=1_760_000_000.0 + i) for i in range(n)]


def _insert_sql(columns: str = "event_id, ts, day, session, kind") -> str:
    return f"INSERT INTO kbassist.events ({columns}) VALUES (%s, 1.0, '2026-01-01', 's', 'session')"


def _privileges(conn: psycopg.Connection[Any], role: str) -> set[tuple[str, str]]:
    """(object, privilege) for every table and function of the schema the role may use, directly or not."""
    tables = conn.execute(
        """
        SELECT c.relname, p.priv
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
               unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(priv)
         WHERE n.nspname = 'kbassist' AND c.relkind IN ('r', 'v', 'm', 'p')
           AND (has_table_privilege(%(role)s, c.oid, p.priv)
                OR (p.priv IN ('SELECT', 'INSERT', 'UPDATE') AND has_any_column_privilege(%(role)s, c.oid, p.priv)))
        """,
        {"role": role},
    ).fetchall()
    functions = conn.execute(
        """
        SELECT p.proname, 'EXECUTE' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'kbassist' AND p.prokind = 'f' AND has_function_privilege(%s, p.oid, 'EXECUTE')
           AND p.prorettype <> 'trigger'::regtype
        """,
        (role,),
    ).fetchall()
    return {(str(a), str(b)) for a, b in tables + functions}


# ---------------------------------------------------------------------------- init and versions
def test_init_creates_the_schema_at_the_current_version_and_a_second_run_changes_nothing(pg_database: str) -> None:
    with connect(pg_database, admin=True) as conn:
        assert schema_version(conn) == 0
        first = init_schema(conn)
        again = init_schema(conn)
        rows = conn.execute("SELECT version FROM kbassist.schema_version ORDER BY version").fetchall()
    assert (first.before, first.after) == (0, SCHEMA_VERSION)
    assert (again.before, again.after) == (SCHEMA_VERSION, SCHEMA_VERSION)
    assert [r[0] for r in rows] == list(range(1, len(MIGRATIONS) + 1))


def test_two_inits_at_once_apply_each_step_once(pg_database: str) -> None:
    barrier = threading.Barrier(3)
    reports, failures = [], []

    def init() -> None:
        try:
            with connect(pg_database, admin=True) as conn:
                barrier.wait()
                reports.append(init_schema(conn))
        except Exception as exc:  # collected: an exception in a thread would not fail the test
            failures.append(exc)

    threads = [threading.Thread(target=init) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures
    # One of them starts from nothing; the others wait for each step and find it done (one may come in
    # between two steps and apply the rest).
    befores = [r.before for r in reports]
    assert befores.count(0) == 1 and all(r.after == SCHEMA_VERSION for r in reports)
    with connect(pg_database, admin=True) as conn:
        assert conn.execute("SELECT count(*) FROM kbassist.schema_version").fetchone() == (SCHEMA_VERSION,)


def test_a_newer_schema_is_refused_and_left_alone(team_db: TeamDb) -> None:
    with team_db.admin() as conn:
        conn.execute("INSERT INTO kbassist.schema_version (version) VALUES (%s)", (SCHEMA_VERSION + 1,))
    with connect(team_db.admin_url, admin=True) as conn, pytest.raises(TeamSchemaError, match="newer"):
        init_schema(conn)
    with team_db.admin() as conn:
        assert conn.execute("SELECT max(version) FROM kbassist.schema_version").fetchone() == (SCHEMA_VERSION + 1,)


def test_every_event_field_has_its_column_and_type(team_db: TeamDb) -> None:
    with team_db.admin() as conn:
        types = dict(
            conn.execute(
                "SELECT column_name, udt_name FROM information_schema.columns "
                "WHERE table_schema = 'kbassist' AND table_name = 'events'"
            ).fetchall()
        )
    assert {name: types.get(name) for name in COLUMNS} == {name: PG_TYPES[name] for name in COLUMNS}
    assert types["associate"] == "uuid" and types["received_at"] == "timestamptz"


def test_two_databases_on_one_server_share_the_groups(pg_server: PgServer, team_db: TeamDb) -> None:
    """Roles belong to the server: a second team database finds the groups there and is set up all the same."""
    name = create_database(pg_server.url)
    try:
        with connect(with_login(pg_server.url, dbname=name), admin=True) as conn:
            assert init_schema(conn).after == SCHEMA_VERSION
    finally:
        drop_database(pg_server.url, name)


# ---------------------------------------------------------------------------- what each role may do
def test_associates_may_only_insert_events_and_editors_only_read(team_db: TeamDb) -> None:
    """The whole list of rights, for every table and function the schema has (later steps included)."""
    with team_db.admin() as conn:
        associate = _privileges(conn, Group.ASSOCIATES.value)
        editor = _privileges(conn, Group.EDITORS.value)
        columns = {
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'kbassist' "
                "AND table_name = 'events' AND has_column_privilege(%s, 'kbassist.events', column_name, 'INSERT')",
                (Group.ASSOCIATES.value,),
            )
        }
        public = _privileges(conn, "public")
    assert associate == {
        ("events", "INSERT"),
        ("current_associate", "EXECUTE"),
        ("show_my_name", "EXECUTE"),
        ("current_schema_version", "EXECUTE"),
    }
    assert columns == set(COLUMNS)  # every Event field, and neither `associate` nor `received_at`
    assert {privilege for _, privilege in editor} <= {"SELECT", "EXECUTE"}
    assert ("events", "SELECT") in editor and ("associates_public", "SELECT") in editor
    assert ("associates", "SELECT") not in editor  # role names are never shown
    assert ("show_my_name", "EXECUTE") not in editor
    assert public == set()


def test_an_associate_inserts_under_its_own_pseudonym_and_can_read_or_change_nothing(team_db: TeamDb) -> None:
    alice, bob = team_db.add_associate("alice"), team_db.add_associate("bob")
    with connect(alice.url) as conn:
        assert upload(conn, _events(3)) == 3
        assert conn.execute("SELECT kbassist.current_associate()").fetchone() == (uuid.UUID(alice.pseudonym),)
        for statement in (
            "SELECT count(*) FROM kbassist.events",
            "SELECT event_id FROM kbassist.events WHERE false",
            "UPDATE kbassist.events SET kind = 'x'",
            "DELETE FROM kbassist.events",
            "TRUNCATE kbassist.events",
            "SELECT * FROM kbassist.associates",
            "SELECT * FROM kbassist.associates_public",
            "SELECT * FROM kbassist.schema_version",
            "UPDATE kbassist.associates SET display_name = 'x'",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)
        # Another associate's pseudonym, or a made-up one, or a received time of its choosing: refused.
        for column, value in (
            ("associate", bob.pseudonym),
            ("associate", str(uuid.uuid4())),
            ("received_at", "2020-01-01"),
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(
                    _insert_sql(f"event_id, ts, day, session, kind, {column}").replace("'session')", "'session', %s)"),
                    (str(uuid.uuid4()), value),
                )
        with pytest.raises(errors.InsufficientPrivilege):  # becoming bob for a moment: not a member
            conn.execute(f'SET ROLE "{bob.role}"')
    with team_db.admin() as conn:
        owners = conn.execute("SELECT DISTINCT associate::text FROM kbassist.events").fetchall()
    assert owners == [(alice.pseudonym,)]


def test_an_editor_may_read_but_not_write(team_db: TeamDb) -> None:
    alice = team_db.add_associate()
    with connect(alice.url) as conn:
        upload(conn, _events(2))
    editor = team_db.add_editor()
    with connect(editor.url) as conn:
        assert conn.execute("SELECT count(*) FROM kbassist.events").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM kbassist.associates_public").fetchone() == (1,)
        for statement, params in (
            (_insert_sql(), (str(uuid.uuid4()),)),
            ("UPDATE kbassist.events SET kind = 'x'", None),
            ("DELETE FROM kbassist.events", None),
            ("SELECT kbassist.show_my_name('Eve')", None),
            ("SELECT role FROM kbassist.associates", None),
            ("INSERT INTO kbassist.schema_version (version) VALUES (99)", None),
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement, params)


def test_a_login_in_neither_group_can_do_nothing(team_db: TeamDb, pg_server: PgServer) -> None:
    role = f"stranger_{uuid.uuid4().hex[:8]}"
    with team_db.admin() as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'stranger-pw'")
    team_db.roles.append(role)
    with connect(with_login(team_db.admin_url, user=role, password="stranger-pw")) as conn:
        for statement in (_insert_sql(), "SELECT count(*) FROM kbassist.events", "SELECT kbassist.current_associate()"):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement, (str(uuid.uuid4()),) if "%s" in statement else None)


def test_show_my_name_opts_in_and_out_and_editors_see_only_that(team_db: TeamDb) -> None:
    alice = team_db.add_associate()
    editor = team_db.add_editor()

    def shown() -> list[tuple[Any, ...]]:
        with connect(editor.url) as conn:
            return conn.execute("SELECT pseudonym::text, display_name FROM kbassist.associates_public").fetchall()

    assert shown() == [(alice.pseudonym, None)]
    with connect(alice.url) as conn:
        conn.execute("SELECT kbassist.show_my_name(%s)", ("  Alice\x1b[31m Martin  ",))
    assert shown() == [(alice.pseudonym, "Alice[31m Martin")]  # trimmed, no control characters
    with connect(alice.url) as conn:
        conn.execute("SELECT kbassist.show_my_name(%s)", ("   ",))
    assert shown() == [(alice.pseudonym, None)]


def test_uploading_twice_inserts_once(team_db: TeamDb) -> None:
    alice = team_db.add_associate()
    events = _events(5)
    with connect(alice.url) as conn:
        assert upload(conn, events) == 5
        assert upload(conn, events[2:] + _events(2, "s2")) == 2  # 3 already there, 2 new
    assert len(team_db.event_ids()) == 7


# ---------------------------------------------------------------------------- adding logins
def test_add_member_puts_an_existing_role_in_the_group(team_db: TeamDb) -> None:
    role = f"existing_{uuid.uuid4().hex[:8]}"
    with team_db.admin() as conn:
        conn.execute(f"CREATE ROLE {role} NOLOGIN")
    team_db.roles.append(role)
    with connect(team_db.admin_url, admin=True) as conn:
        report = add_member(conn, role, Group.ASSOCIATES, "its-new-pw")
        again = add_member(conn, role, Group.ASSOCIATES, None)
    assert not report.created and report.pseudonym and again.pseudonym == report.pseudonym
    with connect(with_login(team_db.admin_url, user=role, password="its-new-pw")) as conn:
        assert upload(conn, _events(1)) == 1


def test_the_server_never_receives_the_password_itself(team_db: TeamDb) -> None:
    login = team_db.add_associate()
    with team_db.admin() as conn:
        stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (login.role,)).fetchone()
    assert stored is not None and str(stored[0]).startswith("SCRAM-SHA-256$")
    assert login.password not in str(stored[0])


@pytest.mark.parametrize("name", ["", "a b", "x;drop", "pg_monitor", "kbassist_editor", "public", "é", "a" * 64])
def test_role_names_that_are_refused(name: str) -> None:
    with pytest.raises(TeamConfigError):
        check_role_name(name)


def test_adding_a_member_before_init_says_to_run_init(pg_database: str) -> None:
    with connect(pg_database, admin=True) as conn, pytest.raises(TeamSchemaError, match="team init"):
        add_member(conn, "newbie", Group.ASSOCIATES, None)
