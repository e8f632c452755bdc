"""What went wrong with the team database, in words that are safe to show anywhere.

Every message here is built from the exception's class, its SQLSTATE and the server's host and port
(``connection.where``), never from the text of the driver's or the server's message: libpq quotes
connection strings back ("invalid integer value "s3cret" for connection option "port""), and a server may
quote a statement. The text is only read to tell an unreachable server from a refused login, which libpq
reports with the same class and no SQLSTATE.

Each kind has a short label for the status bar and a sentence for the terminal and the log.
"""

from __future__ import annotations

from typing import Final

import psycopg

from kbassist.usage.team.connection import where


class TeamError(Exception):
    """A team-database problem the associate or the administrator can act on; ``str()`` is safe to show."""

    label = "error"  # a few words for the status bar

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class TeamOfflineError(TeamError):
    """The server cannot be reached now (network, server down or restarting): try again later."""

    label = "offline"


class TeamLoginError(TeamError):
    """The server refused the login (wrong password, no such role, or pg_hba.conf)."""

    label = "login refused"


class TeamRightsError(TeamError):
    """The login works but its role may not do this (not an associate, an editor's login used to upload)."""

    label = "no rights"


class TeamSchemaError(TeamError):
    """The database has no KB Assist schema, an older one than this app needs, or a newer one than it knows."""

    label = "schema"


class TeamConfigError(TeamError):
    """No team database is set, or its address cannot be read."""

    label = "not set up"


class TeamLocalError(TeamError):
    """The local usage file (the outbox) cannot be read or marked now; a later round retries."""

    label = "local file busy"


NOT_CONFIGURED: Final = (
    "no team database is set: set KBASSIST_TEAM_DB to its postgresql:// URL, or fill in Team database in Settings"
)

# libpq's words (English, and the same in every version since 9.x) for the connection failures that are not a
# network problem. Read, never repeated.
_LOGIN_WORDS: Final = (
    "password authentication failed",
    "no password supplied",
    "authentication failed",
    "pg_hba.conf",
    'role "',
    "peer authentication",
    "ident authentication",
)
_NO_DATABASE: Final = 'database "'
_BAD_ADDRESS_WORDS: Final = ("invalid ", 'missing "="', "unrecognized")

_OFFLINE_STATES: Final = ("57P01", "57P02", "57P03", "53300", "57014", "40001", "40P01")
_SCHEMA_STATES: Final = ("3F000", "42P01", "42703", "42883")
_LOGIN_STATES: Final = ("28P01", "28000")


def explain(exc: BaseException, url: str | None) -> TeamError:
    """``exc`` (from psycopg, a socket, or already a ``TeamError``) as a ``TeamError`` safe to show."""
    if isinstance(exc, TeamError):
        return exc
    if isinstance(exc, psycopg.Error):
        state = exc.sqlstate
        return _from_state(state, exc, url) if state else _from_connection(exc, url)
    if isinstance(exc, OSError | TimeoutError):
        return TeamOfflineError(f"cannot reach the team database at {where(url)} ({type(exc).__name__})")
    return TeamError(f"unexpected {type(exc).__name__} while talking to the team database at {where(url)}")


def _from_connection(exc: psycopg.Error, url: str | None) -> TeamError:
    """A failure with no SQLSTATE: libpq's own, before or while the connection lived."""
    text = str(exc).lower()
    at = where(url)
    if any(word in text for word in _LOGIN_WORDS):
        return TeamLoginError(
            f"the team database at {at} refused the login: wrong password, no such role, or the server does not "
            "accept this login (ask the team's administrator)"
        )
    if _NO_DATABASE in text and "does not exist" in text:
        return TeamConfigError(f"the server at {at} has no database of the name in the team database's address")
    if "connection failed" not in text and any(word in text for word in _BAD_ADDRESS_WORDS):
        return TeamConfigError(f"the team database's address cannot be used (at {at}): check its host and port")
    how = "timed out" if "timeout" in text else "connection lost" if "closed" in text else "cannot connect"
    return TeamOfflineError(f"cannot reach the team database at {at} ({how})")


def _from_state(state: str, exc: psycopg.Error, url: str | None) -> TeamError:
    at = where(url)
    if state.startswith("08") or state in _OFFLINE_STATES:
        return TeamOfflineError(f"the team database at {at} is unavailable (SQLSTATE {state})", state)
    if state in _LOGIN_STATES:
        return TeamLoginError(f"the team database at {at} refused the login (SQLSTATE {state})", state)
    if state == "3D000":
        return TeamConfigError(f"the server at {at} has no database of the name in the team database's address", state)
    if state == "42501":
        return TeamRightsError(
            f"this login may not do this in the team database at {at}: uploading needs a login made by "
            "`kbassist team add-associate`, reading the team's figures one made by `kbassist team add-editor`, "
            "setting up the database's owner (SQLSTATE 42501)",
            state,
        )
    if state in _SCHEMA_STATES:
        return TeamSchemaError(
            f"the team database at {at} has no KB Assist schema, or an older one: run `kbassist team init` "
            f"(SQLSTATE {state})",
            state,
        )
    return TeamError(f"the team database at {at} refused the request ({type(exc).__name__}, SQLSTATE {state})", state)
