"""The folders of one index on disk: generations, the file naming the active one, and the build lock.

Layout under the cache folder: ``index/<kb-name>-<hash>/state.json`` names the active generation folder
(``gen-N``). A rebuild writes a new generation and switches to it only when complete, so a crash
mid-rebuild, a damaged segment or a lock left by a dead process never leaves the app without an index, and
a reader of the old generation is never disturbed. ``build.lock`` beside them lets one process at a time
create, switch or write a generation.
"""

from __future__ import annotations

import errno
import gc
import json
import logging
import os
import shutil
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex
from whoosh.searching import Searcher

from kbassist import paths
from kbassist.search.schema import SCHEMA_VERSION, build_schema

if TYPE_CHECKING:  # filelock is imported when a lock is first taken: opening an index to read takes none
    from filelock import FileLock

log = logging.getLogger(__name__)

# How often a process waiting for another one's build looks again (and checks for a stop): short enough
# that quitting while waiting feels immediate, long enough to cost nothing.
BUILD_LOCK_POLL = 0.25
WAITING = "waiting for another KB Assist to finish indexing"  # the progress callback's "file" while waiting


NEW = "new"  # what ``open_active`` says when no index was built yet (not a problem worth a message)


class IndexUnavailableError(Exception):
    """No index can be read or created where the cache lives (an unwritable home, a full disk, …).

    Everything else wrong with the index is repaired by rebuilding; this one the user has to fix, so it
    carries one sentence that says where and what to do.
    """


class Generations:
    """The index folder of one KB: its state file, its generation folders and its build lock."""

    def __init__(self, root: Path, kb_root: Path) -> None:
        self.root = root
        self.kb_root = kb_root

    def prepare(self) -> bool:
        """Create the folder; returns whether it can be written (False: use the index as it is)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexUnavailableError(
                f"cannot create the search index folder {self.root} ({exc.strerror or exc}); "
                f"make it writable or set {paths.HOME_ENV} to a folder you can write"
            ) from None
        return _writable(self.root)

    @property
    def _state_file(self) -> Path:
        return self.root / "state.json"

    def read_state(self) -> dict[str, object]:
        try:
            state = json.loads(self._state_file.read_text("utf-8"))
            return state if isinstance(state, dict) else {}
        except (OSError, ValueError):
            return {}

    def open_active(
        self, current: str | None, open_searcher: Callable[[FileIndex], Searcher]
    ) -> tuple[FileIndex, str, Searcher] | str | None:
        """Open the generation ``state.json`` names: (the index, its name, a searcher of it); None when it is
        ``current``; else why it cannot be used (``NEW``: none was built yet)."""
        state = self.read_state()
        active = state.get("active")
        if not active:
            return NEW
        if state.get("schema_version") != SCHEMA_VERSION:
            return f"Search index format changed (v{state.get('schema_version')} → v{SCHEMA_VERSION}); rebuilding."
        if active == current:
            return None
        # Whoosh leaks file handles when it fails to read a damaged index; closing them is not news.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                ix = whoosh_index.open_dir(str(self.root / str(active)))
                searcher = open_searcher(ix)  # reads the segment files (once: 0.1 s at 10,000 articles)
                searcher.doc_count()  # a damaged index fails here, not mid-search
                return ix, str(active), searcher
            except Exception as exc:  # the index is a cache: any failure to open means rebuild
                reason = f"{type(exc).__name__}: {exc}"
            gc.collect()
        return f"Search index was damaged ({reason}); rebuilding."

    def write_state(self, generation: str) -> None:
        state = {"schema_version": SCHEMA_VERSION, "kb_root": str(self.kb_root), "active": generation}
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2), "utf-8")
        tmp.replace(self._state_file)

    def lock(self) -> FileLock:
        """The lock every process holds while it creates, switches or writes a generation of this index.

        Whoosh's own write lock lives inside one generation folder, so two processes on a fresh home each
        made ``gen-1`` (one crashed on ``FileExistsError``) and a second process took a live build for a
        dead one and built a third copy. The kernel drops this lock when its holder dies, so a held lock
        always means a live holder, worth waiting for.
        """
        from filelock import FileLock

        return FileLock(str(self.root / "build.lock"), timeout=-1, thread_local=False)

    def acquire(
        self,
        lock: FileLock,
        progress: Callable[[int, int, str], None] | None,
        stopping: Callable[[], bool],
        wait: bool = True,
    ) -> bool:
        """Take ``lock``; while another process holds it, report progress and wait (unless ``wait`` is
        false), ending early once ``stopping()``. Returns whether the lock is held."""
        from filelock import Timeout

        told = False
        while True:
            try:
                lock.acquire(timeout=0)
                return True
            except Timeout:
                pass
            if not wait or stopping():
                return False
            if not told:
                log.info("%s: %s", self.root.name, WAITING)
                told = True
            if progress:
                progress(0, 1, WAITING)
            time.sleep(BUILD_LOCK_POLL)

    def new(self) -> str:
        """A new, empty generation folder (called with the build lock held)."""
        existing = [int(p.name[4:]) for p in self.root.glob("gen-*") if p.name[4:].isdigit()]
        number = max(existing, default=0) + 1
        while True:  # a folder left by an older version that did not lock is skipped, not crashed on
            folder = self.root / f"gen-{number}"
            try:
                folder.mkdir(parents=True)
                break
            except FileExistsError:
                number += 1
        whoosh_index.create_in(str(folder), build_schema())
        return folder.name

    def remove_others(self, keep: str) -> None:
        """Delete every generation but ``keep``, except one that a Whoosh writer still holds."""
        for old in self.root.glob("gen-*"):
            if old.name != keep and not _locked(old):
                shutil.rmtree(old, ignore_errors=True)

    def remove(self, generation: str) -> None:
        shutil.rmtree(self.root / generation, ignore_errors=True)


def _locked(folder: Path) -> bool:
    """Whether another process is writing in an old generation (its folder is then left for later)."""
    try:
        lock = FileStorage(str(folder)).lock("MAIN_WRITELOCK")
        if lock.acquire(blocking=False):
            lock.release()
            return False
    except OSError:
        return False
    return True


def _writable(folder: Path) -> bool:
    """Whether files can be created in ``folder`` (tried, not guessed from mode bits: ACLs, read-only
    mounts and root all answer differently from what ``os.access`` predicts)."""
    probe = folder / f".write-probe-{os.getpid()}-{threading.get_ident()}"
    try:
        probe.touch()
        probe.unlink()
        return True
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return False
        raise IndexUnavailableError(
            f"cannot write in the search index folder {folder} ({exc.strerror or exc})"
        ) from None
