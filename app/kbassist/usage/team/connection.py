"""Which team database, how it is shown, and how to reach it without ever stalling.

Which one is ``settings.team_url``'s choice (``KBASSIST_TEAM_DB``, then the Settings field). The password
comes from that URL, from ``PGPASSWORD`` or from ``~/.pgpass`` (libpq reads the last two itself); Settings
never holds one.

Anything that shows where the database is goes through ``redact_url``, which rebuilds the address from its
parts (user, host, port, database) instead of masking the text: a password misplaced in another field of a
URL (libpq echoes "invalid integer value "s3cret" for connection option "port"") never comes out either.
"""

from __future__ import annotations

import os
import re
from typing import Final

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

# An unreachable server fails a connection after this many seconds: the sync thread then waits for its next
# try, and `kbassist team sync` ends with one line instead of hanging. A login to a loopback server takes
# 21 ms here (SCRAM, bench/bench_team_sync.py); a few seconds leave room for a slow VPN.
CONNECT_TIMEOUT_S: Final = 4
# A connection whose peer vanished (a cable pulled, a VPN dropped mid-upload) is given up after about this
# long without an answer, rather than the operating system's 15 minutes of TCP retries.
TCP_USER_TIMEOUT_MS: Final = 20_000
# An upload waits at most this long for the server (locks held by a migration, say), then retries later.
STATEMENT_TIMEOUT_MS: Final = 60_000

_UNREADABLE: Final = "(an unreadable database address)"
# What a host list (names, addresses, [IPv6], a socket folder) and a port list look like: anything else in
# their place is shown as unreadable, since it may be a password typed in the wrong field.
_HOSTS: Final = re.compile(r"[\w.:\[\]/%-]+(?:,[\w.:\[\]/%-]+)*")
_PORTS: Final = re.compile(r"\d{1,5}(?:,\d{0,5})*")


def parse(url: str) -> dict[str, str]:
    """The URL's fields (libpq's names); raises ``ValueError`` without repeating the text when it is not one."""
    try:
        fields = conninfo_to_dict(url)
    except psycopg.Error:
        raise ValueError(_UNREADABLE) from None  # psycopg's message quotes the string, password and all
    return {key: str(value) for key, value in fields.items() if value is not None}


def redact_url(url: str | None) -> str:
    """Where ``url`` points, safe to print or log: ``user@host:port/dbname``, never a password."""
    if not url:
        return "(none)"
    try:
        fields = parse(url)
    except ValueError:
        return _UNREADABLE
    host = fields.get("host") or fields.get("hostaddr") or "localhost"
    port = fields.get("port") or os.environ.get("PGPORT") or "5432"
    if not (_HOSTS.fullmatch(host) and _PORTS.fullmatch(port)):  # something else typed in their place
        return _UNREADABLE
    user = fields.get("user") or os.environ.get("PGUSER", "")
    database = fields.get("dbname") or os.environ.get("PGDATABASE", "") or user
    return f"{user + '@' if user else ''}{host}:{port}/{database}"


def where(url: str | None) -> str:
    """``host:port`` of ``url``, for messages about reaching it."""
    return redact_url(url).rsplit("/", 1)[0].rsplit("@", 1)[-1]


def connect(url: str, *, admin: bool = False) -> psycopg.Connection[tuple[object, ...]]:
    """A connection in autocommit mode (every transaction is an explicit ``conn.transaction()``).

    Short connect and TCP timeouts unless the URL sets its own. An associate's uploads also get a statement
    timeout; an administrator's (``admin``: schema steps, which may rebuild tables) do not.
    """
    fields = parse(url)
    defaults: dict[str, str | int] = {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "application_name": "kbassist",
    }
    if not admin:
        defaults["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    conninfo = make_conninfo(url, **{key: value for key, value in defaults.items() if key not in fields})
    return psycopg.connect(conninfo, autocommit=True)
