"""``kbassist team …``: set up a team database, add its logins, upload this desktop's usage, say how it stands.

The team code (and psycopg) loads only when one of these commands runs. Every failure is one line from
``usage.team.errors``: no traceback, and never a password, whatever the driver or the server said.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from kbassist import paths
from kbassist.settings import TEAM_DB_ENV, load_settings, team_url
from kbassist.terminal import CliError, emit

if TYPE_CHECKING:
    from kbassist.content.model import KbItem
    from kbassist.usage import Stats

_T = TypeVar("_T")

CONFIG_PROBLEM = 2  # the exit code when something is not set up or not allowed; 1 when the server failed


def _fail(exc: BaseException, url: str | None) -> CliError:
    from kbassist.usage.team import TeamConfigError, TeamRightsError, TeamSchemaError, explain

    error = explain(exc, url)
    code = CONFIG_PROBLEM if isinstance(error, TeamConfigError | TeamRightsError | TeamSchemaError) else 1
    return CliError(str(error), code)


def _configured_url(args: argparse.Namespace) -> str:
    from kbassist.usage.team import NOT_CONFIGURED

    url = getattr(args, "db", None) or team_url(load_settings().team_db)
    if not url:
        raise CliError(NOT_CONFIGURED)
    return url


def _guarded(run: Callable[[str], _T], url: str) -> _T:
    """``run(url)`` with every expected failure turned into one safe line."""
    import psycopg

    from kbassist.usage.team import TeamError

    try:
        return run(url)
    except (TeamError, psycopg.Error, OSError, ValueError) as exc:
        raise _fail(exc, url) from None


# ---------------------------------------------------------------------------- administrators
def cmd_init(args: argparse.Namespace) -> int:
    from kbassist.usage.team import redact_url
    from kbassist.usage.team.admin import init_schema
    from kbassist.usage.team.connection import connect

    def run(url: str) -> int:
        with connect(url, admin=True) as conn:
            report = init_schema(conn)
        where = redact_url(url)

        def text(out: TextIO) -> None:
            if report.before == report.after:
                out.write(f"Team database {where} is up to date (schema v{report.after}).\n")
            else:
                out.write(
                    f"Team database {where}: schema v{report.before} -> v{report.after}. "
                    "Next: kbassist team add-associate NAME\n"
                )

        emit(args, {"database": where, "before": report.before, "after": report.after}, text)
        return 0

    return _guarded(run, args.url)


def _password(args: argparse.Namespace) -> str | None:
    if args.no_password:
        return None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("The same again: ") != password:
            raise CliError("the two passwords differ; nothing was changed")
    else:
        raise CliError(
            "give the password on standard input with --password-stdin, or --no-password when the "
            "server authenticates this login otherwise"
        )
    if not password:
        raise CliError("the password is empty; nothing was changed")
    return password


def cmd_add_member(args: argparse.Namespace) -> int:
    from kbassist.usage.team import TeamError
    from kbassist.usage.team.admin import Group, add_member, check_role_name
    from kbassist.usage.team.connection import connect

    group = Group.EDITORS if args.editor else Group.ASSOCIATES
    try:
        check_role_name(args.name)  # before asking for a password
    except TeamError as exc:
        raise CliError(str(exc)) from None
    password = _password(args)

    def run(url: str) -> int:
        with connect(url, admin=True) as conn:
            report = add_member(conn, args.name, group, password)
        data = {
            "role": report.role,
            "group": report.group.value,
            "created": report.created,
            "pseudonym": report.pseudonym,
        }

        def text(out: TextIO) -> None:
            what = "associate" if group is Group.ASSOCIATES else "editor"
            head = f"Created {what} {args.name}" if report.created else f"Made role {args.name} a KB Assist {what}"
            out.write(head + (f" (pseudonym {report.pseudonym}).\n" if report.pseudonym else ".\n"))

        emit(args, data, text)
        return 0

    return _guarded(run, _configured_url(args))


# ---------------------------------------------------------------------------- associates
def _sync_for(url: str) -> Any:
    from kbassist.usage.team import TeamSync

    settings = load_settings()
    name = settings.agent_name.strip() if settings.show_name_to_editors else ""
    return TeamSync(paths.usage_db(), url, display_name=name or None)


def cmd_sync(args: argparse.Namespace) -> int:
    def run(url: str) -> int:
        result = _sync_for(url).sync_now()

        def text(out: TextIO) -> None:
            out.write(
                f"Uploaded {result.uploaded} event(s) ({result.duplicates_skipped} already on the server); "
                f"{result.waiting} waiting.\n"
            )

        emit(args, result.to_json(), text)
        return 0

    return _guarded(run, _configured_url(args))


def cmd_status(args: argparse.Namespace) -> int:
    from kbassist.usage.team import redact_url
    from kbassist.usage.team.status import team_status

    settings_url = load_settings().team_db
    url = team_url(settings_url)
    source = None if not url else TEAM_DB_ENV if url != settings_url.strip() else "settings"
    data: dict[str, Any] = {"team_db": redact_url(url) if url else None, "source": source}
    data |= team_status(url, paths.usage_db())

    def text(out: TextIO) -> None:
        out.write(f"Team database: {data['team_db'] or 'none (set KBASSIST_TEAM_DB or Settings)'}")
        out.write(f" (from {source})\n" if source else "\n")
        waiting = data["waiting"]
        out.write(f"Waiting to upload: {'unknown (the usage file cannot be read)' if waiting is None else waiting}\n")
        if url:
            out.write(
                f"Server: {'reachable' if data['reachable'] else 'NOT reachable'}"
                f"{', schema v' + str(data['schema_version']) if data['schema_version'] else ''}\n"
            )
            out.write(f"You are associate {data['associate']}\n" if data["associate"] else "")
            out.write(f"Problem: {data['error']}\n" if data["error"] else "")

    emit(args, data, text)
    return 0 if not url or not data["error"] else 1


# ---------------------------------------------------------------------------- editors
def team_stats(args: argparse.Namespace, items: list[KbItem], stale_after_days: int) -> Stats:
    """``kbassist stats --team``: the whole team's figures, from the team database's rollups (one snapshot)."""
    from kbassist.usage.team.figures import team_stats as read

    def run(url: str) -> Stats:
        return read(url, items, args.since, args.until, args.product, stale_after_days)

    return _guarded(run, _configured_url(args))


# ---------------------------------------------------------------------------- parser
def add_team_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``kbassist team`` and its commands, under the main parser's ``sub``."""
    team = sub.add_parser("team", parents=[common], help="the team's shared usage database (PostgreSQL)")
    commands = team.add_subparsers(dest="team_command", metavar="TEAM_COMMAND", required=True, parser_class=type(team))
    p = commands.add_parser("init", parents=[common], help="create or update the team database's schema and groups")
    p.add_argument(
        "url",
        metavar="URL",
        help="postgresql://OWNER@HOST:PORT/DATABASE, a login that may create roles; its password from ~/.pgpass "
        "or PGPASSWORD (a password in the URL shows in the shell's history)",
    )
    p.set_defaults(func=cmd_init)
    for name, editor, what in (
        ("add-associate", False, "an associate (may only upload their own usage)"),
        ("add-editor", True, "an editor (may only read the team's usage)"),
    ):
        p = commands.add_parser(name, parents=[common], help=f"create a login for {what}")
        p.add_argument("name", metavar="NAME", help="the login (a PostgreSQL role) to create")
        how = p.add_mutually_exclusive_group()
        how.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        how.add_argument("--no-password", action="store_true", help="the server authenticates this login otherwise")
        p.add_argument("--db", metavar="URL", help="the team database (default: KBASSIST_TEAM_DB, then Settings)")
        p.set_defaults(func=cmd_add_member, editor=editor)
    p = commands.add_parser("sync", parents=[common], help="upload this desktop's waiting usage events now")
    p.set_defaults(func=cmd_sync)
    p = commands.add_parser("status", parents=[common], help="where usage goes, what waits, and whether it gets there")
    p.set_defaults(func=cmd_status)
