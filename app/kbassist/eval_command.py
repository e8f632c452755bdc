"""``kbassist eval``: suggestion quality on labelled cases (``kbassist.evaluation``). The cases live in the
source checkout (``evaluation.sets``), not in the installed package; this command says so when they are missing."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO, TypeVar

from kbassist.evaluation.sets import DEFAULT_CASES
from kbassist.terminal import CliError, emit, open_engine

T = TypeVar("T")


def cmd_eval(args: argparse.Namespace) -> int:
    from kbassist.evaluation.field import is_field_set
    from kbassist.evaluation.tickets import evaluate, format_report, load_cases

    cases_file = Path(args.cases) if args.cases else DEFAULT_CASES
    if not args.cases and not cases_file.is_file():
        # An installed package carries the KB but not the test folder the labelled cases live in.
        raise CliError(
            "the evaluation cases are part of the source checkout (tests/eval/*.yaml), not of the installed "
            "package; run `kbassist eval` from a checkout, or give --cases FILE"
        )
    if not cases_file.is_file():
        raise CliError(f"evaluation cases not found: {cases_file}")
    if is_field_set(cases_file):
        return _eval_field(args, cases_file)
    if args.split:
        raise CliError(f"--split applies to a field set with tune/test splits; {cases_file} has none")
    cases = _load(lambda: load_cases(cases_file), cases_file)
    engine, _ = open_engine(args)
    report = evaluate(engine, cases)
    engine.close()
    return _emit_report(args, report.to_json(), "misses", format_report(report), report.misses)


def _eval_field(args: argparse.Namespace, cases_file: Path) -> int:
    from kbassist.evaluation.field import evaluate_field, format_field_report, load_field_cases

    cases = _load(lambda: load_field_cases(cases_file, args.split), cases_file)
    if not cases:
        raise CliError(f"no cases in split {args.split!r} of {cases_file}")
    engine, _ = open_engine(args)
    report = evaluate_field(engine, cases, args.split or "all")
    engine.close()
    misses = (row for row in report.per_case if not set(row["got_articles"]) & set(row["want_articles"]))
    return _emit_report(args, report.to_json(), "per_case", format_field_report(report), misses)


def _load(read: Callable[[], list[T]], cases_file: Path) -> list[T]:
    try:
        return read()
    except (ValueError, KeyError, TypeError) as exc:
        raise CliError(f"cannot read evaluation cases {cases_file}: {exc}") from None


def _emit_report(
    args: argparse.Namespace, data: dict[str, Any], detail_key: str, summary: str, misses: Iterable[object]
) -> int:
    """The report as JSON or text; the per-case detail (``detail_key``) and the misses only with --misses."""
    if not args.misses:
        data.pop(detail_key)

    def text(out: TextIO) -> None:
        out.write(summary + "\n")
        if args.misses:
            for miss in misses:
                out.write(f"miss: {miss}\n")

    emit(args, data, text)
    return 0
