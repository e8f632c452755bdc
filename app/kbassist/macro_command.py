"""``kbassist macro ID [ID ...]``: the reply the window would compose, for scripts and for checking a macro
from a terminal. Apart from cli.py so the faces' command table stays one screen long."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from kbassist.content.locale_format import is_language
from kbassist.search.engine import SearchEngine
from kbassist.search.replies import LanguageUnavailableError, UnknownMacrosError
from kbassist.settings import load_settings
from kbassist.terminal import CliError, emit, open_engine, read_case


def add_macro_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``kbassist macro`` under the main parser's ``sub``."""
    p = sub.add_parser("macro", parents=[common], help="print a reply of one or more macros filled from a case")
    p.add_argument("ids", nargs="+", metavar="ID", help="macro ids, in the order the reply takes them")
    p.add_argument("--case", metavar="FILE", help="the case (.txt/.eml, '-' for standard input)")
    p.add_argument("--lang", metavar="CODE", help="the reply's language (default: the case's, when every macro has it)")
    p.add_argument("--agent", metavar="NAME", help="your name for {{agent_name}} (default: settings)")
    p.add_argument("--set", metavar="NAME=VALUE", action="append", help="fill a placeholder (a date: YYYY-MM-DD)")
    p.set_defaults(func=cmd_macro)


def cmd_macro(args: argparse.Namespace) -> int:
    extra = _set_values(args.set or [])
    if args.lang and not is_language(args.lang):
        raise CliError(f"unknown language code {args.lang!r} (use a two-letter ISO 639-1 code such as de, fr, es)")
    case = read_case(args.case) if args.case else None
    engine, _ = open_engine(args)
    agent = load_settings().agent_values()
    if args.agent:
        agent["agent_name"] = args.agent
    try:
        reply = engine.compose(args.ids, case, agent, args.lang, extra)
    except UnknownMacrosError as exc:
        raise CliError(_not_macros(engine, exc.ids), 1) from None
    except LanguageUnavailableError as exc:
        raise CliError(str(exc), 1) from None
    finally:
        engine.close()

    def text(out: TextIO) -> None:
        out.write(reply.plain)
        if reply.unfilled:
            sys.stderr.write(f"kbassist: unfilled placeholders: {', '.join(reply.unfilled)}\n")

    emit(args, reply.to_json(), text)
    return 0


def _set_values(pairs: list[str]) -> dict[str, str]:
    bad = [pair for pair in pairs if "=" not in pair or not pair.split("=", 1)[0].strip()]
    if bad:
        raise CliError(f"--set takes NAME=VALUE, not {bad[0]!r}")
    return {name.strip(): value for name, value in (pair.split("=", 1) for pair in pairs)}


def _not_macros(engine: SearchEngine, ids: tuple[str, ...]) -> str:
    """Which ids are no macro, saying so of an article's id."""
    if not ids:
        return "name at least one macro id"
    said = [f"{i!r} is an article, not a macro" if engine.get(i) else f"no macro with id {i!r}" for i in ids]
    return "; ".join(said)
