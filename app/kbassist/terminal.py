"""The CLI's plumbing: one-line errors, safe output to a terminal, the KB it works on and the engine it opens."""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TextIO

from kbassist.search.engine import SearchEngine
from kbassist.search.index import UpdateReport
from kbassist.settings import choose_kb, load_settings


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit code attached."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise CliError(f"{self.prog}: {message}")


# Control characters other than newline and tab: an ESC sequence in a KB file or a case must not reach the
# terminal, where it can rewrite the screen or the title (JSON output escapes them already).
# Bidirectional overrides and isolates go too: they reorder what the terminal shows ("Trojan Source").
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class SafeText(io.TextIOBase):
    """stdout with control characters shown as U+FFFD instead of being sent to the terminal."""

    def __init__(self, target: TextIO) -> None:
        self.target = target

    def write(self, text: str) -> int:
        self.target.write(CONTROL.sub("\ufffd", text))
        return len(text)


# JSON escapes C0 controls itself, but with ensure_ascii off it sends DEL and the C1 range raw, and a
# terminal reads U+009B as the start of an escape sequence (CSI), just like ESC [.
JSON_RAW_CONTROL = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def emit(args: argparse.Namespace, data: Any, text: Callable[[TextIO], None]) -> None:
    if args.json:
        encoded = json.dumps(data, indent=2, ensure_ascii=False)
        sys.stdout.write(JSON_RAW_CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded))
        sys.stdout.write("\n")
    else:
        text(SafeText(sys.stdout))  # type: ignore[arg-type]


def kb_root(args: argparse.Namespace) -> Path:
    root = choose_kb(args.kb or None, load_settings())
    if not root.is_dir():
        raise CliError(f"KB folder not found: {root}")
    return root


def open_engine(args: argparse.Namespace, progress: bool = False) -> tuple[SearchEngine, UpdateReport]:
    engine = SearchEngine(kb_root(args))
    show = progress and not args.json and sys.stderr.isatty()

    printed: list[bool] = []

    def report(done: int, total: int, rel: str) -> None:
        if show and total:
            sys.stderr.write(f"\rIndexing {done}/{total} {rel[:60]:<60}")
            sys.stderr.flush()
            printed.append(True)

    update = engine.update(report)
    engine.prepare_dense(report)  # a first run embeds the KB once (about 8 s for the bundled one)
    if printed:
        sys.stderr.write("\n")
    for message in engine.messages:
        sys.stderr.write(f"kbassist: {message}\n")
    if update.problems and not progress and not args.json:
        sys.stderr.write(
            f"kbassist: {len(update.problems)} KB file(s) have problems and were skipped; run `kbassist lint`\n"
        )
    return engine, update


def read_case(source: str | None) -> bytes:
    if source in (None, "-"):
        if sys.stdin.isatty():
            raise CliError("paste the case on standard input (end with Ctrl-D), or give a file")
        return sys.stdin.buffer.read()
    path = Path(source)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"case file not found: {source}") from None
    except OSError as exc:
        raise CliError(f"cannot read case file {source}: {exc.strerror}") from None
