"""What an administrator does to a team database: bring its schema up to date, add associates and editors.

``init_schema`` holds one advisory lock from reading the version to the last step, and applies each missing
step of ``migrations.MIGRATIONS`` in a transaction of its own: two ``team init`` at once (or one racing an
upgrade) serialise, the second waits for the whole migration and finds it done (never a step in between),
and a step either commits whole or leaves nothing behind.

``add_member`` creates a login role in one of the two groups (or puts an existing role in it). A password is
turned into its SCRAM verifier here, by libpq, before anything is sent: the server, its statement log and a
network capture never see the password itself.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import psycopg
from psycopg import sql

from kbassist.usage.team.errors import TeamConfigError, TeamSchemaError
from kbassist.usage.team.migrations import MIGRATIONS, SCHEMA_VERSION
from kbassist.usage.team.schema import ASSOCIATES_GROUP, EDITORS_GROUP

log = logging.getLogger(__name__)

# pg_advisory_xact_lock's key for schema steps: "kbas" in ASCII, one number every KB Assist agrees on.
MIGRATION_LOCK: Final = 0x6B626173


class Group(StrEnum):
    ASSOCIATES = ASSOCIATES_GROUP
    EDITORS = EDITORS_GROUP


@dataclass(frozen=True, slots=True)
class InitReport:
    before: int  # the version found (0: no schema)
    after: int


@dataclass(frozen=True, slots=True)
class MemberReport:
    role: str
    group: Group
    created: bool  # False: the role existed and was put in the group
    pseudonym: str | None  # an associate's, as editors will see it


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The version the database is at, read by its owner (0 when there is no schema yet)."""
    if conn.execute("SELECT to_regclass('kbassist.schema_version')").fetchone() == (None,):
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM kbassist.schema_version").fetchone()
    return int(row[0]) if row else 0


def init_schema(conn: psycopg.Connection[Any]) -> InitReport:
    """Create or migrate the schema; raises ``TeamSchemaError`` when the database is newer than this app."""
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        before = schema_version(conn)
        if before > SCHEMA_VERSION:
            raise TeamSchemaError(
                f"the team database's schema is v{before}, newer than this app knows (v{SCHEMA_VERSION}): "
                "upgrade KB Assist before running team init"
            )
        for version in range(before, SCHEMA_VERSION):
            with conn.transaction():
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute("INSERT INTO kbassist.schema_version (version) VALUES (%s)", (version + 1,))
            log.info("team database schema migrated to v%d", version + 1)
        return InitReport(before, SCHEMA_VERSION)
    finally:
        with contextlib.suppress(psycopg.Error):  # a lost connection has let go of the lock with its session
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


# Role names this command accepts: what a login name looks like. PostgreSQL would take anything quoted, but
# a name with spaces or quotes is a typo far more often than a wish.
_ROLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.@-]{0,62}")
_RESERVED = ("pg_", "kbassist_")
_KEYWORDS = frozenset(("public", "none", "current_user", "current_role", "session_user", "postgres"))


def check_role_name(name: str) -> str:
    if not _ROLE_NAME.fullmatch(name) or name.lower().startswith(_RESERVED) or name.lower() in _KEYWORDS:
        raise TeamConfigError(
            f"{name!r} cannot be a KB Assist login: use 1-63 letters, digits, '_', '.', '@' or '-', starting "
            "with a letter, and not a reserved name (pg_…, kbassist_…, public, postgres)"
        )
    return name


def add_member(conn: psycopg.Connection[Any], name: str, group: Group, password: str | None) -> MemberReport:
    """Make ``name`` a login in ``group``; an associate also gets its pseudonym. ``password`` None: the
    server authenticates this login otherwise (certificates, Kerberos, peer) or it has a password already."""
    check_role_name(name)
    version = schema_version(conn)
    if version < SCHEMA_VERSION:
        raise TeamSchemaError(
            f"the team database's schema is v{version}, this app's is v{SCHEMA_VERSION}: run `kbassist team init` first"
        )
    role = sql.Identifier(name)
    secret: sql.Composable = sql.SQL("")
    if password is not None:  # the verifier only: the password itself never leaves this process
        verifier = conn.pgconn.encrypt_password(password.encode(), name.encode())
        secret = sql.SQL(" PASSWORD {}").format(sql.Literal(verifier.decode()))
    with conn.transaction():
        created = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is None
        if created:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN{}").format(role, secret))
        else:
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN{}").format(role, secret))
        conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group.value), role))
        pseudonym = None
        if group is Group.ASSOCIATES:
            conn.execute("INSERT INTO kbassist.associates (role) VALUES (%s) ON CONFLICT DO NOTHING", (name,))
            row = conn.execute("SELECT pseudonym FROM kbassist.associates WHERE role = %s", (name,)).fetchone()
            pseudonym = str(row[0]) if row else None
    return MemberReport(name, group, created, pseudonym)
