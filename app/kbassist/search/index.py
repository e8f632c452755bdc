"""The Whoosh index of one KB folder: a cache that updates incrementally and rebuilds itself when damaged.

Layout under the cache folder: ``index/<kb-name>-<hash>/state.json`` names the active generation
folder (``gen-N``). A rebuild writes a new generation and switches to it only when complete, so a
crash mid-rebuild, a damaged segment or a lock left by a dead process never leaves the app without an
index, and a reader of the old generation is never disturbed.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import logging
import os
import shutil
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import FileIndex, LockError
from whoosh.searching import Searcher
from whoosh.writing import NO_MERGE

from kbassist import paths
from kbassist.content.loader import iter_kb_files, misplaced
from kbassist.content.model import KbItem, Problem
from kbassist.content.parser import parse_file
from kbassist.search.schema import SCHEMA_VERSION, build_schema, from_stored, to_document
from kbassist.search.spelling import Speller

T = TypeVar("T")

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]  # done, total, current file
COMMIT_EVERY = 64  # at least this many documents per intermediate commit: search works on what is ready
COMMIT_INTERVAL = 2.0  # ... and at most one intermediate commit per this many seconds (each costs a segment)
WRITER_TIMEOUT = 3.0
# Whoosh's in-memory posting buffer per writer (default 128). 32 cut a 3,000-document build's peak memory from
# 328 to 244 MiB at the same speed; 16 saved little more and was 25% slower.
WRITER_LIMIT_MB = 32
# How often a process waiting for another one's build looks again (and checks `stop()`): short enough that
# quitting while waiting feels immediate, long enough to cost nothing.
BUILD_LOCK_POLL = 0.25
WAITING = "waiting for another KB Assist to finish indexing"  # the progress callback's "file" while waiting


class IndexUnavailableError(Exception):
    """No index can be read or created where the cache lives (an unwritable home, a full disk, …).

    Everything else wrong with the index is repaired by rebuilding; this one the user has to fix, so it
    carries one sentence that says where and what to do.
    """


@dataclass(slots=True)
class UpdateReport:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    rebuilt: bool = False
    stopped: bool = False  # `KbIndex.stop()` ended it early; what was indexed so far is kept
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def touched(self) -> int:
        return self.added + self.changed + self.removed


@dataclass(frozen=True, slots=True)
class _FileState:
    signature: str
    mtime_ns: int
    size: int
    item_id: str


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


class KbIndex:
    """Open (or create) the index of ``kb_root``; ``update()`` brings it in line with the files."""

    def __init__(self, kb_root: Path, root: Path | None = None) -> None:
        self.kb_root = Path(kb_root).resolve()
        self.root = root or paths.index_dir(self.kb_root)
        self.messages: list[str] = []
        self.problems: list[Problem] = []
        self._search_lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._ix: FileIndex | None = None
        self._searcher: Searcher | None = None
        self._stop = threading.Event()
        self._derived: dict[str, Any] = {}  # built from the current searcher, dropped at each commit
        self._generation: str | None = None  # the generation folder open now; None: a stand-in in memory
        self.read_only = False  # the cache folder cannot be written: the index is read as it is, never updated
        self._open()

    # ----------------------------------------------------------------- state and generations
    @property
    def _state_file(self) -> Path:
        return self.root / "state.json"

    def _read_state(self) -> dict[str, object]:
        try:
            state = json.loads(self._state_file.read_text("utf-8"))
            return state if isinstance(state, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write_state(self, generation: str) -> None:
        state = {"schema_version": SCHEMA_VERSION, "kb_root": str(self.kb_root), "active": generation}
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2), "utf-8")
        tmp.replace(self._state_file)

    def _note(self, message: str) -> None:
        log.warning(message)
        self.messages.append(message)

    def _build_lock(self) -> FileLock:
        """The lock every process holds while it creates, switches or writes a generation of this index.

        Whoosh's own write lock lives inside one generation folder, so two processes on a fresh home each
        made ``gen-1`` (one crashed on ``FileExistsError``) and a second process took a live build for a
        dead one and built a third copy. The kernel drops this lock when its holder dies, so a held lock
        always means a live holder, worth waiting for.
        """
        return FileLock(str(self.root / "build.lock"), timeout=-1, thread_local=False)

    def _acquire(self, lock: FileLock, progress: Progress | None, wait: bool = True) -> bool:
        """Take ``lock``; while another process holds it, report progress and wait (unless ``wait`` is
        false), ending early on ``stop()``. Returns whether the lock is held."""
        told = False
        while True:
            try:
                lock.acquire(timeout=0)
                return True
            except Timeout:
                pass
            if not wait or self._stop.is_set():
                return False
            if not told:
                log.info("%s: %s", self.root.name, WAITING)
                told = True
            if progress:
                progress(0, 1, WAITING)
            time.sleep(BUILD_LOCK_POLL)

    def _open(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexUnavailableError(
                f"cannot create the search index folder {self.root} ({exc.strerror or exc}); "
                f"make it writable or set {paths.HOME_ENV} to a folder you can write"
            ) from None
        self.read_only = not _writable(self.root)
        reason = self._open_active()
        if reason is None:
            return
        if self.read_only:
            raise IndexUnavailableError(
                f"the search index folder {self.root} is read-only and holds no usable index ({reason}); "
                f"make it writable or set {paths.HOME_ENV} to a folder you can write"
            )
        lock = self._build_lock()
        try:
            if not self._acquire(lock, None, wait=False):
                # Another process is building this index right now. Never wait here (the window opens on
                # this call): start on an empty stand-in; ``update()`` waits for that build and then uses it.
                self._set_index(RamStorage().create_index(build_schema()), None)
                return
        except OSError as exc:
            raise IndexUnavailableError(
                f"cannot lock the search index in {self.root} ({exc.strerror or exc})"
            ) from None
        try:
            reason = self._open_active()  # a build that ended just before the lock was taken
            if reason is None:
                return
            if reason != "new":
                self._note(reason)
            self._switch_to(self._new_generation())
        finally:
            lock.release()

    def _open_active(self) -> str | None:
        """Open the generation ``state.json`` names; None when that worked, else why it did not."""
        state = self._read_state()
        active = state.get("active")
        if not active:
            return "new"
        if state.get("schema_version") != SCHEMA_VERSION:
            return f"Search index format changed (v{state.get('schema_version')} → v{SCHEMA_VERSION}); rebuilding."
        if active == self._generation:
            return None
        # Whoosh leaks file handles when it fails to read a damaged index; closing them is not news.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                ix = whoosh_index.open_dir(str(self.root / str(active)))
                ix.doc_count()  # touches the segment files: a damaged index fails here, not mid-search
                self._set_index(ix, str(active))
                return None
            except Exception as exc:  # the index is a cache: any failure to open means rebuild
                reason = f"{type(exc).__name__}: {exc}"
            gc.collect()
        return f"Search index was damaged ({reason}); rebuilding."

    def _new_generation(self) -> str:
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

    def _switch_to(self, generation: str) -> None:
        ix = whoosh_index.open_dir(str(self.root / generation))
        self._write_state(generation)
        self._set_index(ix, generation)
        for old in self.root.glob("gen-*"):
            if old.name != generation and not _locked(old):
                shutil.rmtree(old, ignore_errors=True)

    def _set_index(self, ix: FileIndex, generation: str | None) -> None:
        with self._search_lock:
            old_ix, old_searcher = self._ix, self._searcher
            self._ix, self._searcher = ix, ix.searcher()
            self._generation = generation
            self._derived.clear()
            if old_searcher is not None:
                old_searcher.close()
            if old_ix is not None:
                old_ix.close()

    def close(self) -> None:
        with self._search_lock:
            if self._searcher is not None:
                self._searcher.close()
            if self._ix is not None:
                self._ix.close()
            self._searcher = self._ix = None

    # ----------------------------------------------------------------- searching
    @contextlib.contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """The shared, open searcher; the lock keeps one thread in it at a time (Whoosh needs that)."""
        with self._search_lock:
            if self._searcher is None:
                raise RuntimeError("index is closed")
            yield self._searcher

    def _refresh(self) -> None:
        """Point the kept searcher at the newest commit.

        Whoosh's ``Searcher.refresh()`` reuses segment readers whose segment id is unchanged, so a
        commit that only deletes documents stays invisible to it; opening a new searcher after a
        commit (never per query) is the reliable equivalent.
        """
        with self._search_lock:
            if self._searcher is None or self._ix is None or self._searcher.up_to_date():
                return
            fresh = self._ix.searcher()
            self._searcher.close()
            self._searcher = fresh
            self._derived.clear()

    def derived(self, name: str, build: Callable[[Searcher], T]) -> T:
        """A value computed from the index (word list, macro links), built once per commit, on first use."""
        with self._search_lock:
            if self._searcher is None:
                raise RuntimeError("index is closed")
            if name not in self._derived:
                self._derived[name] = build(self._searcher)
            value: T = self._derived[name]
            return value

    def speller(self) -> Speller:
        """Spelling suggestions from the KB's own words; rebuilt lazily after each commit."""
        return self.derived("speller", _build_speller)

    def doc_count(self) -> int:
        with self.searcher() as s:
            return int(s.doc_count())

    def get(self, item_id: str) -> KbItem | None:
        with self.searcher() as s:
            fields = s.document(id=item_id)
        return from_stored(fields, self.kb_root) if fields else None

    def all_items(self) -> list[KbItem]:
        with self.searcher() as s:
            stored = list(s.all_stored_fields())
        return sorted((from_stored(f, self.kb_root) for f in stored), key=lambda i: (i.kind, i.product, i.title))

    def check(self) -> str | None:
        """Read every stored field, posting, field length and column of the open index; None when all of
        it reads, else what failed. Opening reads only a segment's table of contents, so damage in the
        middle of a segment stays hidden until a search happens to touch it; ``kbassist index`` runs this
        to find it before associates do (0.9 s for the bundled KB of 270 files)."""
        with warnings.catch_warnings(), self.searcher() as s:
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                for reader, _base in s.reader().leaf_readers():
                    _read_everything(reader)
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as exc:  # Whoosh reports damage as anything from struct.error to a bare Exception
                return f"{type(exc).__name__}: {str(exc)[:80]}"
        return None

    # ----------------------------------------------------------------- updating
    def stop(self) -> None:
        """End a running update soon, keeping what it indexed, and skip any later one (for shutdown).

        A first build of a large KB takes minutes; quitting must not wait for it. The files not reached
        keep their old (or no) index state, so the next start carries on where this one stopped.
        """
        self._stop.set()

    def stopping(self) -> bool:
        """True once ``stop()`` was called: long work on the index's behalf ends at its next step."""
        return self._stop.is_set()

    def update(self, progress: Progress | None = None) -> UpdateReport:
        """Re-index only files that were added, changed or removed since the last update."""
        return self._locked_write(progress, rebuild=False)

    def rebuild(self, progress: Progress | None = None) -> UpdateReport:
        return self._locked_write(progress, rebuild=True)

    def recover(self, reason: str) -> UpdateReport:
        """Damage was found while reading: use another process's newer generation if there is one, else
        rebuild. Either way the index is readable again when this returns."""
        with self._write_lock:
            self.messages = []
            report = self._under_build_lock(None, lambda: self._rebuild(None), follow_only=True)
            if report.rebuilt:
                self._note(f"Search index was damaged ({reason}); rebuilt.")
                self.problems = report.problems
            report.messages = list(self.messages)
            return report

    def _locked_write(self, progress: Progress | None, *, rebuild: bool) -> UpdateReport:
        with self._write_lock:
            started = time.perf_counter()
            self.messages = []
            if self.read_only:
                self._note("The search index folder is read-only: the index is used as it is and updates are off.")
                return UpdateReport(messages=list(self.messages))
            report = self._under_build_lock(progress, (lambda: self._rebuild(progress)) if rebuild else None)
            report.messages = list(self.messages)
            report.seconds = time.perf_counter() - started
            self.problems = report.problems
            return report

    def _under_build_lock(
        self, progress: Progress | None, work: Callable[[], UpdateReport] | None, follow_only: bool = False
    ) -> UpdateReport:
        """Take the build lock (waiting for another process's build), move to the generation that build
        left, then run ``work`` (default: an incremental update)."""
        lock = self._build_lock()
        try:
            held = self._acquire(lock, progress)
        except OSError as exc:
            self._note(f"Search index cannot be locked for updating ({exc.strerror or exc}); updates are off.")
            return UpdateReport()
        if not held:
            return UpdateReport(stopped=True)
        try:
            before = self._generation
            reason = self._open_active()
            if reason is not None and reason != "new":
                self._note(reason)
                return self._rebuild(progress)
            if reason == "new":
                return self._rebuild(progress)
            if follow_only and self._generation != before:
                return UpdateReport()  # another process rebuilt meanwhile: its generation is the repair
            if work is not None:
                return work()
            try:
                return self._update(progress)
            except LockError:
                self._note("Search index was locked by another run that did not finish; rebuilding a fresh copy.")
                return self._rebuild(progress)
            except Exception as exc:  # a damaged segment found while writing: the cache is rebuilt
                if isinstance(exc, KeyboardInterrupt | MemoryError):
                    raise
                self._note(f"Search index could not be updated ({type(exc).__name__}: {exc}); rebuilding.")
                return self._rebuild(progress)
        finally:
            lock.release()

    def _rebuild(self, progress: Progress | None) -> UpdateReport:
        generation = self._new_generation()
        ix = whoosh_index.open_dir(str(self.root / generation))
        report = self._sync(ix, progress, live=False)
        ix.close()
        if report.stopped:  # an incomplete generation is never switched to
            shutil.rmtree(self.root / generation, ignore_errors=True)
            return report
        self._switch_to(generation)
        report.rebuilt = True
        return report

    def _update(self, progress: Progress | None) -> UpdateReport:
        assert self._ix is not None
        return self._sync(self._ix, progress, live=True)

    def _indexed_files(self, ix: FileIndex) -> dict[str, _FileState]:
        with ix.searcher() as s:
            return {
                f["path"]: _FileState(f["signature"], f["mtime_ns"], f["size"], f["id"]) for f in s.all_stored_fields()
            }

    def _sync(self, ix: FileIndex, progress: Progress | None, *, live: bool) -> UpdateReport:
        report = UpdateReport()
        indexed = self._indexed_files(ix)
        on_disk = {p.relative_to(self.kb_root).as_posix(): p for p in iter_kb_files(self.kb_root)}
        if not self.kb_root.is_dir():
            report.problems.append(Problem(".", f"KB folder does not exist: {self.kb_root}"))
        removed = [rel for rel in indexed if rel not in on_disk]
        todo: list[tuple[str, Path, os.stat_result]] = []
        for rel, path in on_disk.items():
            try:
                st = path.stat()
            except OSError as exc:
                report.problems.append(Problem(rel, f"cannot read file: {exc.strerror or exc}"))
                continue
            known = indexed.get(rel)
            if known and known.mtime_ns == st.st_mtime_ns and known.size == st.st_size:
                report.unchanged += 1
                continue
            todo.append((rel, path, st))
        # Ids held by files that stay as they are. A changed or new file takes one only if it held it first:
        # older mtime, then path order (the rule lint applies too). Files are visited in that order.
        todo.sort(key=lambda t: (t[2].st_mtime_ns, t[0]))
        changing = {t[0] for t in todo}
        kept_ids = {s.item_id: rel for rel, s in indexed.items() if rel in on_disk and rel not in changing}
        claim = {rel: (s.mtime_ns, rel) for rel, s in indexed.items() if rel in on_disk and rel not in changing}
        total = len(todo) + len(removed)
        done = 0
        writer = ix.writer(timeout=WRITER_TIMEOUT, limitmb=WRITER_LIMIT_MB)
        pending = 0
        last_commit = time.perf_counter() - COMMIT_INTERVAL  # the first batch is committed at once
        try:
            for rel in removed:
                writer.delete_by_term("path", rel)
                report.removed += 1
                done += 1
                pending += 1
            for rel, path, st in todo:
                if self._stop.is_set():
                    report.stopped = True
                    break
                done += 1
                if progress:
                    progress(done, total, rel)
                known = indexed.get(rel)
                result = misplaced(rel) or parse_file(path, self.kb_root)
                if isinstance(result, Problem):
                    report.problems.append(result)
                    if known:
                        writer.delete_by_term("path", rel)
                        report.removed += 1
                        pending += 1
                    continue
                if known and known.signature == result.signature:
                    # Touched but not changed: record the new mtime so the next scan skips it.
                    report.unchanged += 1
                owner = kept_ids.get(result.id)
                if owner is not None and owner != rel:
                    if claim[owner] < (st.st_mtime_ns, rel):
                        report.problems.append(Problem(rel, f"duplicate id {result.id!r} (already used by {owner})"))
                        if known:
                            writer.delete_by_term("path", rel)
                            pending += 1
                        continue
                    # This file held the id first: the newer holder gives it up.
                    writer.delete_by_term("path", owner)
                    report.problems.append(Problem(owner, f"duplicate id {result.id!r} (already used by {rel})"))
                kept_ids[result.id] = rel
                claim[rel] = (st.st_mtime_ns, rel)
                writer.update_document(**to_document(result, st.st_mtime_ns, st.st_size))
                if not (known and known.signature == result.signature):
                    if known:
                        report.changed += 1
                    else:
                        report.added += 1
                pending += 1
                if pending >= COMMIT_EVERY and time.perf_counter() - last_commit >= COMMIT_INTERVAL:
                    # No merging mid-build (merging every batch made a 10k build quadratic); the last commit merges.
                    writer.commit(mergetype=NO_MERGE)
                    last_commit = time.perf_counter()
                    if live:
                        self._refresh()
                    writer = ix.writer(timeout=WRITER_TIMEOUT, limitmb=WRITER_LIMIT_MB)
                    pending = 0
            if pending and report.stopped:
                writer.commit(mergetype=NO_MERGE)  # quick: merging can wait for the next start
            elif pending:
                # After a bulk load, merge the segments: fewer segments, faster searches.
                writer.commit(optimize=total > COMMIT_EVERY)
            else:
                writer.cancel()
        except BaseException:
            if not writer.is_closed:
                writer.cancel()
            raise
        if live:
            self._refresh()
        if progress and total == 0:
            progress(0, 0, "")
        report.problems.sort(key=lambda p: p.rel_path)
        return report


def _read_everything(reader: Any) -> None:
    """Decode every byte a search could ever ask ``reader`` (one segment) for."""
    for _ in reader.all_stored_fields():
        pass
    schema = reader.schema
    doc_ids = list(reader.all_doc_ids())
    for name in reader.indexed_field_names():
        for term in reader.lexicon(name):
            matcher = reader.postings(name, term)
            while matcher.is_active():
                matcher.id()
                matcher.weight()
                if matcher.supports("positions"):
                    matcher.value_as("positions")
                matcher.next()
        if name in schema and schema[name].scorable:
            for doc in doc_ids:
                reader.doc_field_length(doc, name)
        if name in schema and reader.has_vector(doc_ids[0] if doc_ids else 0, name):
            for doc in doc_ids:
                if reader.has_vector(doc, name):
                    list(reader.vector(doc, name).items_as("weight"))
    for name in schema.names():
        if reader.has_column(name):
            column = reader.column_reader(name)
            for doc in doc_ids:
                column[doc]


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


def _build_speller(searcher: Searcher) -> Speller:
    words = (
        (w.decode() if isinstance(w, bytes) else w, info.doc_frequency())
        for w, info in searcher.reader().iter_field("spell")
    )
    return Speller(words)
