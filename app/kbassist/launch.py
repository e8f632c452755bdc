"""The ``kbassist`` command's first step: a start that only summons the running window (``kbassist``,
``kbassist gui``, ``kbassist paste [--text TEXT]``) hands over before the core is imported.

`kbassist paste` runs from a desktop-wide shortcut, so its wait is felt: through the whole CLI, which imports
the search engine first, it took 1.25 s; handing over here needs only Qt and the socket, 0.29 s (medians,
bench/bench_summon.py). Any other command or option, or no window to hand over to, goes on to ``cli.main``.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext


def summon_request(args: Sequence[str]) -> tuple[str, str | None] | None:
    """("paste" or "show", the text given) for the argument lists that only summon; None for the rest."""
    match list(args):
        case [] | ["gui"]:
            return "show", None
        case ["paste"]:
            return "paste", None
        case ["paste", "--text", text] if not text.startswith("-"):  # argparse's own message for "-x"
            return "paste", text
        case ["paste", option] if option.startswith("--text="):
            return "paste", option.removeprefix("--text=")
    return None


def _has_display() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    request = summon_request(args)
    importing: AbstractContextManager[None] = nullcontext()
    if request is not None and _has_display():
        try:
            from kbassist.ui.plain_import import plain_import
            from kbassist.ui.single_instance import hand_over
        except ImportError:  # no PySide6: the CLI says so in its own words
            pass
        else:
            if hand_over(*request):
                return 0
            importing = plain_import()  # Qt came first: the CLI and the core skip PySide's import
    with importing:
        from kbassist.cli import main as cli_main
    return cli_main(args)


def leave_freeing_to_the_system() -> None:
    """Called as the process ends: Python's finalization no longer walks every object still alive.

    Before a process ends, Python runs full garbage collections over all the objects still alive (the KB's
    briefs, tables and words are hundreds of thousands): after `kbassist suggest` at 10,000 articles they took
    about 140 ms of the 165 ms from its last output to its end; with the objects frozen out of them (kept
    alive, as they are until the end anyway) the exit took 24 ms (medians of three, measured alternated). The
    memory goes back to the system with the process; what writes (index, usage store, settings) is closed by
    the code that opened it, so only objects already lost in reference cycles are left unfinalized.
    """
    gc.freeze()


def command() -> int:
    """The ``kbassist`` console script and ``python -m kbassist``: ``main``, then the process's end."""
    code = main()
    leave_freeing_to_the_system()
    return code
