"""pytest plugin: a real PostgreSQL server for the team-mode tests (registered in conftest.py).

Where the server comes from, in order:

* ``KBASSIST_TEST_PG``: a superuser URL (``.ci/run`` starts a throwaway server and sets it; so can you, for a
  server of your own: ``KBASSIST_TEST_PG=postgresql://postgres:PW@127.0.0.1:5432/postgres``);
* else a throwaway cluster this run starts itself with ``tools/pg_server.py`` (PostgreSQL's server programs
  must be installed; nothing outside a temporary folder is touched).

When neither works, the tests that need a server are skipped with the reason, or FAIL when
``KBASSIST_PG_REQUIRED`` is set (CI sets it: a missing server there is a broken pipeline, not a pass).

Fixtures: ``pg_server`` (session), ``pg_database`` (a new empty database per test), ``team_db`` (a new database
with ``kbassist team init`` applied, and helpers that add associates and editors with their own logins),
and ``own_pg_server`` (a cluster of the test's own, which it may stop and start again). Roles are per server,
not per database, so each test's roles get unique names and are dropped afterwards.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from kbassist.content.model import ItemKind
from kbassist.usage import Event, EventKind, UsageStore

REPO = Path(__file__).resolve().parents[1]
URL_ENV = "KBASSIST_TEST_PG"
REQUIRED_ENV = "KBASSIST_PG_REQUIRED"


def _pg_server_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pg_server", REPO / "tools" / "pg_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pg_tool = _pg_server_tool()


def unavailable(reason: str) -> None:
    """Skip, or fail when the run said a server is required."""
    if os.environ.get(REQUIRED_ENV, "").strip() not in ("", "0"):
        pytest.fail(f"PostgreSQL is required here ({REQUIRED_ENV} is set) but {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL server for the team-mode tests: {reason} (set {URL_ENV} or install PostgreSQL)")


def with_login(
    url: str,
    *,
    user: str | None = None,
    password: str | None = None,
    dbname: str | None = None,
    port: int | None = None,
) -> str:
    """``url`` with another user, password, database or port."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    login = quote(user if user is not None else parts.username or "", safe="")
    secret = password if password is not None else parts.password
    auth = f"{login}:{quote(secret, safe='')}@" if secret else f"{login}@" if login else ""
    netloc = f"{auth}{host}:{port if port is not None else parts.port}"
    return urlunsplit(parts._replace(netloc=netloc, path="/" + (dbname or parts.path.lstrip("/"))))


@dataclass
class PgServer:
    url: str  # a superuser's, to the "postgres" database
    folder: Path | None = None  # the cluster's folder when this run started it: then it can stop and start it

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 5432)

    def stop(self, mode: str = "fast") -> None:
        assert self.folder is not None, "only a server this run started can be stopped"
        pg_tool.stop(self.folder, mode)

    def launch(self) -> None:
        assert self.folder is not None
        pg_tool.launch(self.folder)

    def log_text(self) -> str:
        assert self.folder is not None
        log = self.folder / "server.log"
        return log.read_text("utf-8", "replace") if log.exists() else ""


def _answers(url: str) -> str | None:
    """None when a superuser connection works, else why not (without the URL: it holds a password)."""
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"{URL_ENV} is set but that server does not answer ({type(exc).__name__})"
    return None


@contextlib.contextmanager
def started_cluster() -> Iterator[PgServer]:
    """A new cluster in a temporary folder, stopped and removed afterwards. The folder sits directly in the
    temporary directory: run as root, the server runs as ``postgres``, which must be able to reach it."""
    folder = Path(tempfile.gettempdir()) / f"kbassist-pg-{secrets.token_hex(6)}"
    try:
        url = pg_tool.start(folder)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        unavailable(f"a throwaway server could not be started ({exc})")
    try:
        yield PgServer(url, folder)
    finally:
        pg_tool.stop(folder, "immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    url = os.environ.get(URL_ENV, "").strip()
    if url:
        if (problem := _answers(url)) is not None:
            unavailable(problem)
        yield PgServer(url)
        return
    with started_cluster() as server:
        yield server


@pytest.fixture
def own_pg_server() -> Iterator[PgServer]:
    """A cluster for this test alone (about 1 s to start): it may be stopped, started, and its log read."""
    with started_cluster() as server:
        yield server


def create_database(server_url: str) -> str:
    name = f"kbt_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def pg_database(pg_server: PgServer) -> Iterator[str]:
    """A superuser URL to a new, empty database, dropped after the test."""
    name = create_database(pg_server.url)
    yield with_login(pg_server.url, dbname=name)
    drop_database(pg_server.url, name)


@dataclass(frozen=True)
class Login:
    role: str
    password: str
    url: str
    pseudonym: str | None = None


@dataclass
class TeamDb:
    """A database set up by ``kbassist team init``, and the logins a test adds to it."""

    admin_url: str  # a superuser's, to this database
    roles: list[str] = field(default_factory=list)

    def _add(self, prefix: str, editor: bool) -> Login:
        from kbassist.usage.team.admin import Group, add_member
        from kbassist.usage.team.connection import connect

        role = f"{prefix}_{secrets.token_hex(4)}"
        password = f"pw-{secrets.token_urlsafe(12)}"
        with connect(self.admin_url, admin=True) as conn:
            report = add_member(conn, role, Group.EDITORS if editor else Group.ASSOCIATES, password)
        self.roles.append(role)
        return Login(role, password, with_login(self.admin_url, user=role, password=password), report.pseudonym)

    def add_associate(self, prefix: str = "assoc") -> Login:
        return self._add(prefix, editor=False)

    def add_editor(self, prefix: str = "editor") -> Login:
        return self._add(prefix, editor=True)

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.admin_url, autocommit=True)

    def event_ids(self) -> list[str]:
        """Every event id on the server, duplicates kept (the primary key forbids them; a test checks anyway)."""
        with self.admin() as conn:
            return [str(row[0]) for row in conn.execute("SELECT event_id FROM kbassist.events")]


def drop_roles(server_url: str, roles: list[str]) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        for role in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@contextlib.contextmanager
def team_database(server: PgServer) -> Iterator[TeamDb]:
    from kbassist.usage.team.admin import init_schema
    from kbassist.usage.team.connection import connect

    name = create_database(server.url)
    team = TeamDb(with_login(server.url, dbname=name))
    try:
        with connect(team.admin_url, admin=True) as conn:
            init_schema(conn)
        yield team
    finally:
        drop_database(server.url, name)
        drop_roles(server.url, team.roles)


@pytest.fixture
def team_db(pg_server: PgServer) -> Iterator[TeamDb]:
    with team_database(pg_server) as team:
        yield team


# ---------------------------------------------------------------------------- the desktop's side
def outbox(path: Path, n: int, start: float = 1_760_000_000.0) -> list[Event]:
    """A local usage file holding ``n`` events waiting for upload."""
    events = [
        Event(
            session=f"s{i // 10}",
            kind=EventKind.SHOWN,
            ts=start + i,
            item_id=f"macro-{i % 7}",
            item_kind=ItemKind.MACRO,
            rank=1 + i % 5,
            score=1.5,
            product="refunds",
        )
        for i in range(n)
    ]
    with UsageStore(path) as store:
        store.add(events)
    return events


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def twice_at_once(command: list[str], env: dict[str, str]) -> list[dict[str, Any]]:
    """``command`` (a `kbassist … --json`) run by two processes at the same time; each one's JSON answer."""
    both = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
    answers = []
    for process in both:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        answers.append(json.loads(out))
    return answers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that reaches a server is marked ``postgres`` (``-m "not postgres"`` runs the rest)."""
    for item in items:
        if {"pg_server", "own_pg_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
