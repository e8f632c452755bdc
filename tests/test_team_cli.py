"""``kbassist team …`` end to end, as separate processes against a real PostgreSQL server, and the promise that
a password never shows in what the app prints or logs (nor in the server's own statement log)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from kbassist import cli
from kbassist.settings import TEAM_DB_ENV, Settings, save_settings
from kbassist.usage import UsageRecorder
from kbassist.usage.team import TeamSync
from kbassist.usage.team.connection import CONNECT_TIMEOUT_S
from kbassist.usage.team.migrations import SCHEMA_VERSION
from kbassist.usage.team.state import Backoff
from postgres import (
    PgServer,
    TeamDb,
    create_database,
    drop_database,
    drop_roles,
    outbox,
    team_database,
    twice_at_once,
    wait_for,
    with_login,
)


def kbassist(
    home: Path, *args: str, db: str | None = None, stdin: str = "", timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process; standard input is a pipe (never the terminal, where it would prompt)."""
    env = {k: v for k, v in os.environ.items() if k != TEAM_DB_ENV} | {"KBASSIST_HOME": str(home)}
    if db is not None:
        env[TEAM_DB_ENV] = db
    return subprocess.run(
        [sys.executable, "-m", "kbassist", *args], input=stdin, capture_output=True, text=True, timeout=timeout, env=env
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kbassist: "), result.stderr
    return lines[0]


def test_init_then_add_an_associate_then_sync(pg_database: str, tmp_path: Path, pg_server: PgServer) -> None:
    home = tmp_path / "home"
    first = kbassist(home, "team", "init", pg_database, "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) | {"database": ""} == {"database": "", "before": 0, "after": SCHEMA_VERSION}
    assert json.loads(kbassist(home, "team", "init", pg_database, "--json").stdout)["before"] == SCHEMA_VERSION

    role = f"robin_{os.getpid()}"
    added = kbassist(
        home, "team", "add-associate", role, "--password-stdin", "--json", db=pg_database, stdin="robin's pass\n"
    )
    assert added.returncode == 0, added.stderr
    report = json.loads(added.stdout)
    assert report["created"] is True and report["group"] == "kbassist_associate" and len(report["pseudonym"]) == 36
    editor = kbassist(home, "team", "add-editor", f"ed_{os.getpid()}", "--no-password", db=pg_database)
    assert editor.returncode == 0 and "Created editor" in editor.stdout
    try:
        login = with_login(pg_database, user=role, password="robin's pass")
        outbox(home / "data" / "usage.sqlite3", 1100)
        synced = kbassist(home, "team", "sync", "--json", db=login)
        assert synced.returncode == 0, synced.stderr
        assert json.loads(synced.stdout) == {"uploaded": 1100, "waiting": 0, "duplicates_skipped": 0}
        status = kbassist(home, "team", "status", "--json", db=login)
        assert json.loads(status.stdout) == {
            "team_db": f"{role}@127.0.0.1:{pg_server.port}/{pg_database.rsplit('/', 1)[1]}",
            "source": TEAM_DB_ENV,
            "waiting": 0,
            "reachable": True,
            "schema_version": SCHEMA_VERSION,
            "associate": report["pseudonym"],
            "error": None,
        }
        text = kbassist(home, "team", "sync", db=login)
        assert text.stdout == "Uploaded 0 event(s) (0 already on the server); 0 waiting.\n"
    finally:
        drop_roles(pg_server.url, [role, f"ed_{os.getpid()}"])


def test_two_inits_at_once(pg_server: PgServer, tmp_path: Path) -> None:
    name = create_database(pg_server.url)
    url = with_login(pg_server.url, dbname=name)
    try:
        command = [sys.executable, "-m", "kbassist", "team", "init", url, "--json"]
        reports = twice_at_once(command, {**os.environ, "KBASSIST_HOME": str(tmp_path)})
        assert sorted(r["before"] for r in reports) == [0, SCHEMA_VERSION]
    finally:
        drop_database(pg_server.url, name)


def test_the_team_database_in_settings_is_used_without_the_environment(team_db: TeamDb, tmp_path: Path) -> None:
    alice = team_db.add_associate()
    home = tmp_path / "home"
    save_settings(Settings(team_db=alice.url), home / "config" / "settings.json")
    outbox(home / "data" / "usage.sqlite3", 3)
    env_password = {**os.environ, "KBASSIST_HOME": str(home), "PGPASSWORD": alice.password}
    env_password.pop(TEAM_DB_ENV, None)
    result = subprocess.run(
        [sys.executable, "-m", "kbassist", "team", "sync", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env_password,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["uploaded"] == 3
    assert alice.password not in (home / "config" / "settings.json").read_text("utf-8")


def test_clear_errors(team_db: TeamDb, pg_database: str, tmp_path: Path) -> None:
    alice = team_db.add_associate()
    home = tmp_path / "home"
    outbox(home / "data" / "usage.sqlite3", 2)
    assert "no team database is set" in one_line_error(kbassist(home, "team", "sync"))
    assert "cannot reach the team database at 127.0.0.1:1" in one_line_error(
        kbassist(home, "team", "sync", db=with_login(alice.url, port=1))
    )
    assert "refused the login" in one_line_error(kbassist(home, "team", "sync", db=with_login(alice.url, password="x")))
    editor = team_db.add_editor()
    assert "may not do this" in one_line_error(kbassist(home, "team", "sync", db=editor.url))
    assert "may not do this" in one_line_error(
        kbassist(home, "team", "add-associate", "x1", "--no-password", db=alice.url)
    )
    assert "run `kbassist team init`" in one_line_error(
        kbassist(home, "team", "sync", db=with_login(pg_database, user=alice.role, password=alice.password))
    )
    with team_db.admin() as conn:
        conn.execute("INSERT INTO kbassist.schema_version (version) VALUES (%s)", (SCHEMA_VERSION + 5,))
    assert "newer than this app" in one_line_error(kbassist(home, "team", "init", team_db.admin_url))
    assert "password" in one_line_error(kbassist(home, "team", "add-associate", "someone", db=team_db.admin_url))
    assert "cannot be a KB Assist login" in one_line_error(
        kbassist(home, "team", "add-associate", "a b", "--no-password", db=team_db.admin_url)
    )
    assert "unreadable" in one_line_error(kbassist(home, "team", "init", "postgresql://u:pw@h:port/x"))
    with UsageRecorder(home / "data" / "usage.sqlite3", team_outbox=True):  # a window starting prunes, but
        pass  # not what waits: nothing was lost by any of this
    assert json.loads(kbassist(home, "team", "sync", "--json", db=alice.url).stdout)["uploaded"] == 2


# ---------------------------------------------------------------------------- a password never shows
def test_a_password_never_shows_in_output_logs_settings_or_the_server_log(
    own_pg_server: PgServer, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run every command and the background sync with one known password, right and wrong, and grep
    everything they printed and logged; the server logs every statement meanwhile."""
    secret = "Zq7-unique-secret-9xP"
    with psycopg.connect(own_pg_server.url, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET log_statement = 'all'")
        conn.execute("ALTER SYSTEM SET log_connections = on")
        conn.execute("SELECT pg_reload_conf()")
    home = tmp_path / "home"
    printed: list[str] = []
    with team_database(own_pg_server) as team:
        role = "grep_assoc"
        team.roles.append(role)
        for result in (
            kbassist(home, "team", "add-associate", role, "--password-stdin", db=team.admin_url, stdin=secret),
            kbassist(home, "team", "add-editor", "grep_editor", "--password-stdin", db=team.admin_url, stdin=secret),
        ):
            assert result.returncode == 0, result.stderr
            printed += [result.stdout, result.stderr]
        team.roles.append("grep_editor")
        right = with_login(team.admin_url, user=role, password=secret)
        wrong = with_login(team.admin_url, user=role, password=secret + "-not")
        outbox(home / "data" / "usage.sqlite3", 20)
        for url in (
            right,
            wrong,
            with_login(right, port=1),
            right.replace(f":{own_pg_server.port}/", f":{secret}/"),
            f"host=127.0.0.1 port={secret} user={role}",
        ):
            for command in (("team", "sync"), ("team", "status", "--json"), ("team", "init", url)):
                result = kbassist(home, *command, db=url)
                printed += [result.stdout, result.stderr]
        # In this process, every logger at DEBUG (psycopg's too), the CLI and the background thread.
        caplog.set_level(logging.DEBUG)
        for url in (wrong, right):
            os.environ[TEAM_DB_ENV] = url
            try:
                cli.main(["team", "sync"])
                cli.main(["team", "status"])
            finally:
                del os.environ[TEAM_DB_ENV]
        sync = TeamSync(home / "data" / "usage.sqlite3", wrong, backoff=Backoff(first=0.01, cap=0.05), interval=0.05)
        sync.start()
        wait_for(lambda: sync.backoff.failures >= 3)
        sync.url = right
        wait_for(lambda: sync.state.text() == "Team: synced")
        sync.stop()
        printed += [sync.state.error or "", caplog.text, *capsys.readouterr()]
        save_settings(Settings(team_db=right), home / "config" / "settings.json")
        printed.append((home / "config" / "settings.json").read_text("utf-8"))
        server_log = own_pg_server.log_text()
    everything = "\n".join(printed)
    assert "refused the login" in everything and "cannot reach" in everything  # the failures were said
    assert "CREATE ROLE" in server_log and "INSERT INTO kbassist.events" in server_log  # and logged
    assert secret not in everything
    assert secret not in server_log


def test_a_server_that_never_answers_ends_the_command_in_seconds(team_db: TeamDb, tmp_path: Path) -> None:
    """A host that accepts the connection and then says nothing (a half-dead VPN): the command gives up after
    the connect timeout with one line, and the events stay waiting."""
    alice = team_db.add_associate()
    home = tmp_path / "home"
    outbox(home / "data" / "usage.sqlite3", 10)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        hung = with_login(alice.url, port=silent.getsockname()[1])
        assert "(timed out)" in one_line_error(kbassist(home, "team", "sync", db=hung, timeout=3 * CONNECT_TIMEOUT_S))
    assert json.loads(kbassist(home, "team", "sync", "--json", db=alice.url).stdout)["uploaded"] == 10
