"""``kbassist eval``: suggestion quality on labelled cases. The cases live in the source checkout
(``tests/eval``), not in the installed package; this command says so when they are missing."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from kbassist import paths
from kbassist.terminal import CliError, emit, open_engine

DEFAULT_CASES = paths.bundled_kb().parent / "tests" / "eval" / "cases.yaml"


def cmd_eval(args: argparse.Namespace) -> int:
    from kbassist.search.evaluation import evaluate, format_report, load_cases
    from kbassist.search.field_eval import is_field_set

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
    try:
        cases = load_cases(cases_file)
    except (ValueError, KeyError, TypeError) as exc:
        raise CliError(f"cannot read evaluation cases {cases_file}: {exc}") from None
    engine, _ = open_engine(args)
    report = evaluate(engine, cases)
    engine.close()
    data = report.to_json()
    if not args.misses:
        data.pop("misses")

    def text(out: TextIO) -> None:
        out.write(format_report(report) + "\n")
        if args.misses:
            for miss in report.misses:
                out.write(f"miss: {miss}\n")

    emit(args, data, text)
    return 0


def _eval_field(args: argparse.Namespace, cases_file: Path) -> int:
    from kbassist.search.field_eval import evaluate_field, format_field_report, load_field_cases

    try:
        cases = load_field_cases(cases_file, args.split)
    except (ValueError, KeyError, TypeError) as exc:
        raise CliError(f"cannot read evaluation cases {cases_file}: {exc}") from None
    if not cases:
        raise CliError(f"no cases in split {args.split!r} of {cases_file}")
    engine, _ = open_engine(args)
    report = evaluate_field(engine, cases, args.split or "all")
    engine.close()
    data = report.to_json()
    if not args.misses:
        data.pop("per_case")

    def text(out: TextIO) -> None:
        out.write(format_field_report(report) + "\n")
        if args.misses:
            for row in report.per_case:
                if not set(row["got_articles"]) & set(row["want_articles"]):
                    out.write(f"miss: {row}\n")

    emit(args, data, text)
    return 0
