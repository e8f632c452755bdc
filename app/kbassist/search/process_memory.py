"""Memory a process no longer needs, handed back to the system: freed heap, and pages of mapped files read once.

Both matter for the window, which lives all day: what a one-off piece of work (embedding the KB, joining a
build's postings) touched stays counted in its resident memory until the system needs it back.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import sys
from collections.abc import Iterable

import numpy as np


def return_freed_memory() -> None:
    """Hand glibc's freed heap back to the system (``malloc_trim``). ONNX Runtime, without its arena, frees each
    run's buffers, and glibc kept them in the process (after embedding the bundled KB's 269 documents 269 MiB,
    208 MiB after the trim; the next runs are as fast). Elsewhere than glibc this does nothing."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def release_mapped(arrays: Iterable[np.ndarray]) -> None:
    """Drop this process's pages of the files ``arrays`` are mapped from (``array_file.read``): they stay in
    the page cache, and a later read maps them in again. For files read through once: joining a build's
    segments reads every posting of their tables (about 30 MiB at 10,000 articles), which queries then read
    from the join instead."""
    released: set[int] = set()
    for array in arrays:
        base: object = array
        while isinstance(base, np.ndarray):
            base = base.base
        if isinstance(base, memoryview):
            base = base.obj
        if isinstance(base, mmap.mmap) and id(base) not in released and hasattr(mmap, "MADV_DONTNEED"):
            released.add(id(base))
            with contextlib.suppress(OSError, ValueError):
                base.madvise(mmap.MADV_DONTNEED)
