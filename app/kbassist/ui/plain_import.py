"""The window's modules imported by Python's own import, not by the one PySide6 puts in its place.

Once QtCore is loaded, PySide6 (6.4 on) replaces ``builtins.__import__`` to serve its opt-in
``from __feature__ import snake_case`` switches, and for every module imported after that it reads the
module's whole source to look for the word "PySide6" (``inspect.getsource``; PYSIDE-2029), keeping the lines
in ``linecache`` for the life of the process. The launcher loads Qt first (to hand a second start over to a
running window), so the window's 460-odd modules (the core, numpy, Whoosh, Babel...) came after it: measured
(six alternated starts each, importing ``kbassist.ui.app`` after Qt), 868 ms median with PySide's import
against 675 ms with Python's, and 17 MiB of source lines kept in ``linecache`` against none.

KB Assist selects no ``__feature__``, so a module PySide has not looked at sees Qt as every module it
marks does (tests/test_plain_import.py: Qt's own names, signals and slots from such a module; the whole
window suite runs its modules imported this way). PySide's import is put back afterwards, so a
``from __feature__ import`` still works for anyone who asks for it.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def plain_import() -> Iterator[None]:
    """Imports inside this block bypass PySide6's import (when it has replaced Python's) and its source scan."""
    import PySide6.QtCore  # noqa: F401  # PySide puts its import in place here, if this version has one

    pyside_import = builtins.__import__
    python_import = getattr(builtins, "__orig_import__", None)
    if python_import is None or python_import is pyside_import:
        yield
        return
    builtins.__import__ = python_import
    try:
        yield
    finally:
        builtins.__import__ = pyside_import
