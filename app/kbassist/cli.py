"""``kbassist <command>``: the core from a terminal. With no command it opens the window.

The commands that read every KB file (`lint`, `review`) import the parser in their own functions: imported
here, it and markdown-it were about 45 ms of every `kbassist suggest`, which parses no file."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, TextIO

from kbassist import __version__, paths
from kbassist.content.model import PRODUCTS, Article, KbItem, Macro
from kbassist.macro_command import add_macro_parser
from kbassist.search.engine import SearchEngine, Suggestions
from kbassist.search.index import IndexUnavailableError
from kbassist.settings import load_settings
from kbassist.team_command import add_team_parser, team_stats
from kbassist.terminal import CliError, Parser, emit, kb_root, open_engine, read_case

if TYPE_CHECKING:
    from kbassist.usage import Stats


# ---------------------------------------------------------------------------- commands
def cmd_index(args: argparse.Namespace) -> int:
    engine, report = open_engine(args, progress=True) if not args.rebuild else (None, None)
    if args.rebuild:
        engine = SearchEngine(kb_root(args))
        report = engine.rebuild()
    assert engine is not None and report is not None
    # Opening an index reads only the heads of its segments: read all of it, so that damage in the middle
    # of a segment is repaired here rather than found by a search.
    damage = None if report.rebuilt else engine.check()  # a rebuild wrote every segment just now
    if damage:
        repair = engine.recover(damage)
        report.rebuilt = True
        report.messages += repair.messages
        report.problems = repair.problems
        for message in repair.messages:
            sys.stderr.write(f"kbassist: {message}\n")
    count = engine.doc_count()
    data = {
        "kb": str(engine.kb_root),
        "documents": count,
        "added": report.added,
        "changed": report.changed,
        "removed": report.removed,
        "unchanged": report.unchanged,
        "rebuilt": report.rebuilt,
        "seconds": round(report.seconds, 3),
        "messages": report.messages,
        "problems": [{"file": p.rel_path, "reason": p.reason, "severity": p.severity} for p in report.problems],
    }

    def text(out: TextIO) -> None:
        out.write(
            f"Indexed {engine.kb_root}: {count} documents "
            f"({report.added} added, {report.changed} changed, {report.removed} removed) "
            f"in {report.seconds:.2f}s\n"
        )
        for problem in report.problems:
            out.write(f"  skipped {problem}\n")

    emit(args, data, text)
    engine.close()
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    engine, _ = open_engine(args)
    query = " ".join(args.query)
    result = engine.search_typed(query, product=args.product, kind=args.kind, limit=args.limit, exact=args.exact)
    engine.close()

    def text(out: TextIO) -> None:
        if result.corrected:
            out.write(f"Showing results for: {result.shown}  (search instead for the words as typed: --exact)\n")
        elif result.did_you_mean:
            out.write(f"Did you mean: {result.did_you_mean}\n")
        if not result.hits:
            out.write("No results.\n")
        for h in result.hits:
            out.write(f"{h.score:7.2f}  {h.kind:<7} {h.product:<14} {h.id}\n         {h.title}\n")

    emit(args, result.to_json(), text)
    return 0


def _print_suggestions(result: Suggestions, out: TextIO) -> None:
    entities = result.case.entities
    out.write(f"Products: {', '.join(result.products) or '-'}   confidence: {result.confidence}\n")
    if entities.ids:
        out.write("IDs: " + ", ".join(f"{f.value} ({f.type})" for f in entities.ids) + "\n")
    if entities.codes:
        out.write("Codes: " + ", ".join(entities.codes) + "\n")
    if entities.amounts:
        out.write("Amounts: " + ", ".join(a.display for a in entities.amounts) + "\n")
    if entities.customer_name:
        out.write(f"Customer: {entities.customer_name}\n")
    if entities.last4s:
        out.write("Cards: " + ", ".join(f"•••• {last4}" for last4 in entities.last4s) + "\n")
    if entities.dates:
        out.write("Dates: " + ", ".join(f"{d.iso}{' (deadline)' * d.deadline}" for d in entities.dates) + "\n")
    for warning in result.case.warnings:
        out.write(f"WARNING: {warning.message}. {warning.advice}\n")
    out.write("\nArticles:\n")
    for i, art in enumerate(result.articles, 1):
        out.write(f"{i:3}. {art.title}  [{art.product}] ({art.id})\n     {art.why}\n")
    out.write("\nMacros:\n")
    for i, mac in enumerate(result.macros, 1):
        unfilled = f"  unfilled: {', '.join(mac.unfilled)}" if mac.unfilled else ""
        out.write(f"{i:3}. {mac.title}  [{mac.product}] ({mac.id}){unfilled}\n     {mac.why}\n")


def cmd_suggest(args: argparse.Namespace) -> int:
    case = read_case(args.file)
    engine, _ = open_engine(args)
    result = engine.suggest(case, load_settings().agent_values())
    emit(args, result.to_json(), lambda out: _print_suggestions(result, out))
    engine.close()
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    engine, _ = open_engine(args)
    item = engine.get(args.id)
    engine.close()
    if item is None:
        raise CliError(f"no article or macro with id {args.id!r}", 1)
    data: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind,
        "title": item.title,
        "product": item.product,
        "tags": list(item.tags),
        "path": item.rel_path,
        "body": item.body,
    }
    if isinstance(item, Article):
        data |= {"owner": item.owner, "reviewed": item.reviewed.isoformat() if item.reviewed else None}
    if isinstance(item, Macro):
        data |= {"articles": list(item.articles), "placeholders": list(item.placeholders)}

    def text(out: TextIO) -> None:
        out.write(f"{item.title}\n{'=' * len(item.title)}\n{item.kind} · {item.product} · {item.id}\n")
        if isinstance(item, Article):
            out.write(f"owner {item.owner} · reviewed {item.reviewed}\n")
        if isinstance(item, Macro):
            out.write(f"relies on: {', '.join(item.articles)}\n")
        out.write("\n" + item.body.strip() + "\n")

    emit(args, data, text)
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from kbassist.content.lint import lint_folder  # reads every file: the parser (not imported by `suggest`)

    content, problems = lint_folder(kb_root(args))
    data = {
        "kb": str(content.root),
        "articles": len(content.articles),
        "macros": len(content.macros),
        "problems": [{"file": p.rel_path, "reason": p.reason, "severity": p.severity} for p in problems],
    }

    def text(out: TextIO) -> None:
        for problem in problems:
            out.write(f"{problem}\n")
        out.write(f"{len(content.articles)} articles, {len(content.macros)} macros, {len(problems)} problem(s)\n")

    emit(args, data, text)
    return 1 if problems else 0


def cmd_review(args: argparse.Namespace) -> int:
    """Set an article's ``reviewed:`` date in its file (today unless ``--date``); the index follows at the next
    command or in the window, as for any edit."""
    from kbassist.content.loader import load_kb  # the parser, as for `lint`
    from kbassist.content.review import ReviewError, find_article, mark_reviewed

    on = args.date or dt.date.today()
    try:
        article = find_article(load_kb(kb_root(args)).items.values(), args.id)
        mark_reviewed(article.path, on)
    except ReviewError as exc:
        raise CliError(f"cannot mark {args.id} reviewed: {exc}", 1) from None
    before = article.reviewed.isoformat() if article.reviewed else None
    data = {"id": article.id, "path": article.rel_path, "reviewed": on.isoformat(), "previously": before}

    def text(out: TextIO) -> None:
        out.write(f"{article.id}: reviewed {on} (was {before or 'not set'}), {article.rel_path}\n")

    emit(args, data, text)
    return 0


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {value!r}") from None


def cmd_stats(args: argparse.Namespace) -> int:
    if args.json and args.csv:
        raise CliError("choose one of --json and --csv")
    if args.since and args.until and args.since > args.until:
        raise CliError(f"--since {args.since} is after --until {args.until}")
    engine, _ = open_engine(args)
    items = engine.items()
    engine.close()
    if args.product and args.product not in PRODUCTS and all(i.product != args.product for i in items):
        raise CliError(f"unknown product {args.product!r}; one of: {', '.join(PRODUCTS)}")
    from kbassist.usage import write_macros_csv, write_text  # only `stats` reads usage: 70 ms off the others

    stale_after_days = load_settings().stale_after_days
    stats = team_stats(args, items, stale_after_days) if args.team else _local_stats(args, items, stale_after_days)
    if args.csv:
        write_macros_csv(stats, sys.stdout)
        return 0
    emit(args, stats.to_json(), lambda out: write_text(stats, out, associates=args.team))
    return 0


def _local_stats(args: argparse.Namespace, items: list[KbItem], stale_after_days: int) -> Stats:
    from kbassist.usage import UsageStore, UsageStoreError, compute_stats

    db = paths.usage_db()
    try:  # no file yet (nothing recorded, or recording off): report on nothing rather than create one
        with UsageStore(db, read_only=True) if db.is_file() else UsageStore(":memory:") as store:
            return compute_stats(store, items, args.since, args.until, args.product, stale_after_days)
    except UsageStoreError as exc:  # a reader never repairs or moves the file: it says what it found
        raise CliError(f"cannot read usage data {db}: {exc} (the file was left as it is)", 1) from None


def _no_display() -> str | None:
    """Why the window cannot open here, before Qt aborts the process trying (exit 134, no message of use)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
        "Run it from a desktop session, or use the command line: kbassist suggest FILE, kbassist search WORDS "
        "(kbassist --help lists every command)"
    )


def cmd_eval(args: argparse.Namespace) -> int:
    from kbassist.eval_command import cmd_eval as run  # the evaluation code loads only for this command

    return run(args)


def _window() -> ModuleType:
    """The window's module (``ui.app``), imported as the window is (``ui/plain_import.py``), once a display is
    there; PySide6 missing or broken is said in a sentence instead of a traceback."""
    if reason := _no_display():
        raise CliError(reason)
    try:
        from kbassist.ui.plain_import import plain_import

        with plain_import():
            from kbassist.ui import app
    except ImportError as exc:
        raise CliError(f"the window needs PySide6, which could not be loaded: {exc}") from None
    return app


def cmd_gui(args: argparse.Namespace) -> int:
    code: int = _window().run(kb=args.kb)
    return code


def cmd_paste(args: argparse.Namespace) -> int:
    code: int = _window().paste(kb=args.kb, text=args.text)
    return code


# ---------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    common.add_argument(
        "--kb",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="knowledge-base folder (default: $KBASSIST_KB, then the bundled KB)",
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON object")

    parser = Parser(
        prog="kbassist", description="KB Assist: articles and reply macros for payment-support cases.", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"kbassist {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("index", parents=[common], help="update the search index (only changed files)")
    p.add_argument("--rebuild", action="store_true", help="rebuild from scratch")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", parents=[common], help="search articles and macros")
    p.add_argument("query", nargs="+")
    p.add_argument("--product")
    p.add_argument("--kind", choices=("article", "macro"))
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--exact", action="store_true", help="search the words as typed, never a spelling correction")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("suggest", parents=[common], help="suggest articles and macros for a case")
    p.add_argument("file", nargs="?", help="case as .txt or .eml; '-' or nothing reads standard input")
    p.set_defaults(func=cmd_suggest)

    p = sub.add_parser("show", parents=[common], help="print an article or macro")
    p.add_argument("id")
    p.set_defaults(func=cmd_show)

    add_macro_parser(sub, common)

    p = sub.add_parser("lint", parents=[common], help="check KB files; exit 1 on problems")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("stats", parents=[common], help="usage figures for KB editors")
    p.add_argument("--since", metavar="DATE", type=_date, help="first day, YYYY-MM-DD (default: all recorded)")
    p.add_argument("--until", metavar="DATE", type=_date, help="last day, YYYY-MM-DD (default: today)")
    p.add_argument("--product", metavar="P", help="only this product's items and cases")
    p.add_argument("--csv", action="store_true", help="print the per-macro table as CSV")
    p.add_argument(
        "--team", action="store_true", help="the whole team's figures from the team database (an editor's login)"
    )
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("review", parents=[common], help="mark an article reviewed (sets reviewed: in its file)")
    p.add_argument("id")
    p.add_argument("--date", metavar="DATE", type=_date, help="the review's day, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("eval", parents=[common], help="measure suggestion quality against a plain BM25 baseline")
    p.add_argument("--cases", metavar="FILE", help="labelled cases (YAML; default: tests/eval/cases.yaml)")
    p.add_argument("--misses", action="store_true", help="also list the cases the top 3 missed")
    p.add_argument("--split", choices=("tune", "test"), help="field set only: measure one split")
    p.set_defaults(func=cmd_eval)

    add_team_parser(sub, common)

    p = sub.add_parser(
        "paste", parents=[common], help="bring the window to the front with the clipboard's text as the case"
    )
    p.add_argument("--text", help="this text instead of the clipboard's (for scripts)")
    p.set_defaults(func=cmd_paste)

    p = sub.add_parser("gui", parents=[common], help="open the window (the default)")
    p.set_defaults(func=cmd_gui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        args.kb = getattr(args, "kb", None)
        args.json = getattr(args, "json", False)
        func = getattr(args, "func", cmd_gui)
        return func(args)
    except CliError as exc:
        sys.stderr.write(f"kbassist: {exc}\n" if not str(exc).startswith("kbassist") else f"{exc}\n")
        return exc.code
    except IndexUnavailableError as exc:
        sys.stderr.write(f"kbassist: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("kbassist: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
