"""The Whoosh index of one KB folder: a cache that updates incrementally and rebuilds itself when damaged.
Its folders (generations, the build lock): ``generations.py``; an update is planned in ``sync.py`` and
applied here; the full read of ``check()`` is ``index_check.py``."""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar, cast

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import RamStorage
from whoosh.index import FileIndex, LockError
from whoosh.searching import Searcher

from kbassist import paths
from kbassist.content.model import KbItem, Problem
from kbassist.search import word_index
from kbassist.search.collect import ScoringCache
from kbassist.search.edit_merge import MERGE_EDITS_AT, BackgroundMerge, edit_segments, merge_edits
from kbassist.search.generations import NEW, Generations, IndexUnavailableError
from kbassist.search.index_check import check_searcher
from kbassist.search.joined_postings import SegmentId
from kbassist.search.manifest import Manifest
from kbassist.search.parallel_build import BuildFailedError
from kbassist.search.reader_pool import ReaderPool
from kbassist.search.records import FileState, Records, SortedRun, live_sorted, read_records, sorted_run
from kbassist.search.schema import build_schema, from_stored
from kbassist.search.segment_cache import SegmentCache, segment_id, segment_readers
from kbassist.search.spelling import Speller
from kbassist.search.sync import Hooks, UpdateReport
from kbassist.search.table_store import TableStore
from kbassist.search.updating import sync_files
from kbassist.search.word_index import WordIndex

__all__ = ["IndexUnavailableError", "KbIndex", "Progress", "UpdateReport"]  # what the faces import from here

T = TypeVar("T")

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]  # done, total, current file
_ORDER = attrgetter("kind", "product", "title")  # the item list's order


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
        self._readers = ReaderPool(self._search_lock)  # each segment's files opened once, for every commit
        self._stop = threading.Event()
        self._derived: dict[str, Any] = {}  # built from the current searcher, dropped at each commit
        self._manifest = Manifest()  # what the index holds of each file, as of the last update's start
        self._generation: str | None = None  # the generation folder open now; None: a stand-in in memory
        self.read_only = False  # the cache folder cannot be written: the index is read as it is, never updated
        self._gens = Generations(self.root, self.kb_root)
        self.tables = TableStore()
        self.records = Records(self._folder)
        self._words: SegmentCache[WordIndex] = SegmentCache(
            lambda reader: word_index.of_segment(reader, self._folder(), self.tables.word_counts)
        )
        self._items: SegmentCache[SortedRun[KbItem]] = SegmentCache(  # by kind, product and title
            lambda r: sorted_run([from_stored(d, self.kb_root) if d else None for d in read_records(r)], _ORDER)
        )
        self._caches: list[SegmentCache[Any]] = [*self.records.caches, self._words, self._items]
        self._merge = BackgroundMerge(self._merge_edits)
        self._open()

    # ----------------------------------------------------------------- state and generations
    def _note(self, message: str) -> None:
        log.warning(message)
        self.messages.append(message)

    def _open(self) -> None:
        self.read_only = not self._gens.prepare()
        reason = self._open_active()
        if reason is None:
            return
        if self.read_only:
            raise IndexUnavailableError(
                f"the search index folder {self.root} is read-only and holds no usable index"
                f"{'' if reason == NEW else f' ({reason})'}; "
                f"make it writable or set {paths.HOME_ENV} to a folder you can write"
            )
        lock = self._gens.lock()
        try:
            if not self._gens.acquire(lock, None, self.stopping, wait=False):
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
            if reason != NEW:
                self._note(reason)
            self._switch_to(self._gens.new())
        finally:
            lock.release()

    def _open_active(self) -> str | None:
        """Open the generation ``state.json`` names; None when that worked, else why it did not."""
        opened = self._gens.open_active(self._generation, self._readers.searcher)
        if isinstance(opened, str):
            return opened
        if opened is not None:
            self._set_index(*opened)
        return None

    def _switch_to(self, generation: str) -> None:
        ix = whoosh_index.open_dir(str(self.root / generation))
        self._gens.write_state(generation)
        self._set_index(ix, generation)
        self._gens.remove_others(keep=generation)

    def _set_index(self, ix: FileIndex, generation: str | None, searcher: Searcher | None = None) -> None:
        with self._search_lock:
            old_ix, old_searcher = self._ix, self._searcher
            self._ix, self._searcher = ix, searcher or self._readers.searcher(ix)
            self._generation = generation
            self._derived.clear()
            self._manifest = Manifest()
            self._forget_merged(self._searcher)
            for old in (old_searcher, old_ix):
                if old is not None:
                    old.close()

    def close(self) -> None:
        """A read or update still under way on another thread ends (its failure is not taken for damage)."""
        self._stop.set()
        self._merge.close()
        with self._search_lock:
            for opened in (self._searcher, self._ix):
                if opened is not None:
                    opened.close()
            self._searcher = self._ix = None
            self._readers.close()

    @property
    def closed(self) -> bool:
        return self._searcher is None

    # ----------------------------------------------------------------- searching
    @contextlib.contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """The shared, open searcher; the lock keeps one thread in it at a time (Whoosh needs that)."""
        with self._search_lock:
            if self._searcher is None:
                raise RuntimeError("index is closed")
            yield self._searcher

    def _refresh(self) -> None:
        """Point the kept searcher at the newest commit (never per query): a new searcher, whose segments the
        reader pool opens only when the commit added them (``reader_pool.py``)."""
        with self._search_lock:
            if self._searcher is None or self._ix is None or self._searcher.up_to_date():
                return
            # The old searcher goes first: while Whoosh copied every segment's files into each searcher's memory
            # (``segment_files.py`` now reads them in place), two at once were a 10,000-article build's peak
            # (+80 MiB). Should the new one fail to open, the index reads as closed until the repair reopens it.
            self._searcher.close()
            self._searcher = None
            fresh = self._readers.searcher(self._ix)
            self._searcher = fresh
            self._derived.clear()
            self._forget_merged(fresh)

    def derived(self, name: str, build: Callable[[Searcher], T]) -> T:
        """A value computed from the index (word list, macro links), built once per commit, on first use."""
        with self._search_lock:
            if self._searcher is None:
                raise RuntimeError("index is closed")
            if name not in self._derived:
                self._derived[name] = build(self._searcher)
            return cast(T, self._derived[name])

    def scoring(self) -> ScoringCache:
        """The commit's scoring table (None in it while ``update`` still decodes a new large segment)."""
        return self.derived("scoring", self._scoring)

    def _scoring(self, searcher: Searcher) -> ScoringCache:
        table = self.tables.view(searcher, self._folder())
        return ScoringCache(table=table, phrase_docs=self.tables.phrase_docs, records=self.records.by_docnum(searcher))

    def _folder(self) -> Path | None:
        return self.root / self._generation if self._generation else None

    def _prepare_tables(self) -> None:
        """Decode the scoring tables a write left to do (a full build's or a merge's segment), on this thread and
        with its own searcher, while queries go on through Whoosh's matchers. Tables at hand (a builder's) are
        mapped and an edit's small one decoded with the kept searcher: a second one holds a second copy of the
        index (+100 MiB at 10,000 articles) and cost an edit 40 ms. Then the build's segments are joined
        (``TableStore.join``) when they were not yet."""
        with self._search_lock:
            ix, folder, live = self._ix, self._folder(), self._searcher
            complete = live is not None and self.tables.prepare(live, folder, self.stopping, decode=False)
        if ix is None:
            return
        if not complete:
            with ix.searcher() as searcher:
                complete = self.tables.prepare(searcher, folder, self.stopping)
        joined = complete and self.tables.join(folder)  # outside the search lock: 0.26 s at 10,000 articles
        with self._search_lock:
            cache = self._derived.get("scoring")
            if complete and cache is not None and (cache.table is None or joined):
                del self._derived["scoring"]
            if joined:
                self._derived.pop("speller", None)

    def _forget_merged(self, searcher: Searcher) -> None:
        self._readers.retain(searcher)
        keys = [segment_id(r) for r in segment_readers(searcher)]
        for cache in self._caches:
            cache.retain(keys)

    def segment_cache(self, build: Callable[[Any], T]) -> SegmentCache[T]:
        """A value kept per segment (``build(reader)``), forgotten when a merge removes the segment."""
        cache: SegmentCache[T] = SegmentCache(build)
        self._caches.append(cache)
        return cache

    def speller(self) -> Speller:
        """Spelling suggestions from the KB's own words: a word index per segment, built once each."""
        return self.derived("speller", self._speller)

    def _speller(self, searcher: Searcher) -> Speller:
        """The build's segments' words joined (``joined_postings.py``) and each later segment's own."""
        readers = segment_readers(searcher)
        segments = [SegmentId(segment_id(r), r.doc_count_all()) for r in readers]
        joined = self.tables.joined_for(segments, self._folder())
        if joined is None or joined.words is None or not joined.leads(segments):
            return Speller(parts=[self._words.get(r) for r in readers])
        covered = sum(1 for n in joined.doc_counts if n)
        return Speller(parts=[joined.words, *(self._words.get(r) for r in readers[covered:])])

    def doc_count(self) -> int:
        with self.searcher() as s:
            return int(s.doc_count())

    def get(self, item_id: str) -> KbItem | None:
        with self.searcher() as s:
            docnum = self.derived("docnums", self.records.docnums).get(item_id)
            fields = s.stored_fields(docnum) if docnum is not None else None
        return from_stored(fields, self.kb_root) if fields else None

    def all_items(self) -> list[KbItem]:
        """Every article and macro without its Markdown body (``get`` reads one whole), sorted by kind,
        product and title: from the records, built per segment and kept across commits."""
        return list(self.derived("items", self._sorted_items))

    def _sorted_items(self, searcher: Searcher) -> list[KbItem]:
        return live_sorted(searcher, self._items)

    def check(self) -> str | None:
        """Read every stored field, posting, field length and column of the open index; None when all of
        it reads, else what failed (``index_check.py``)."""
        with self.searcher() as s:
            return check_searcher(s)

    # ----------------------------------------------------------------- updating
    def stop(self) -> None:
        """End a running update soon, keeping what it indexed, and skip any later one (quitting must not wait
        for a first build of minutes); the files not reached are indexed at the next start."""
        self._stop.set()

    def stopping(self) -> bool:
        """True once ``stop()`` was called: long work on the index's behalf ends at its next step."""
        return self._stop.is_set()

    def update(self, progress: Progress | None = None, changed: Iterable[str | Path] | None = None) -> UpdateReport:
        """Re-index only files added, changed or removed since; ``changed``: what a watcher saw (None: all)."""
        return self._locked_write(progress, rebuild=False, changed=changed)

    def rebuild(self, progress: Progress | None = None) -> UpdateReport:
        return self._locked_write(progress, rebuild=True)

    def recover(self, reason: str) -> UpdateReport:
        """Damage was found while reading: use another process's newer generation if any, else rebuild."""
        with self._write_lock:
            self.messages = []
            report = self._under_build_lock(None, lambda: self._rebuild(None), follow_only=True)
            if report.rebuilt:
                self._note(f"Search index was damaged ({reason}); rebuilt.")
                self.problems = report.problems
            report.messages = list(self.messages)
            return report

    def _locked_write(
        self, progress: Progress | None, *, rebuild: bool, changed: Iterable[str | Path] | None = None
    ) -> UpdateReport:
        with self._write_lock:
            started = time.perf_counter()
            self.messages = []
            if self.read_only:
                self._note("The search index folder is read-only: the index is used as it is and updates are off.")
                self._prepare_tables()
                return UpdateReport(messages=list(self.messages))
            write = self._rebuild if rebuild else functools.partial(self._update_or_rebuild, changed=changed)
            report = self._under_build_lock(progress, lambda: write(progress))
            if not report.stopped:
                self._prepare_tables()
            report.messages = list(self.messages)
            report.seconds = time.perf_counter() - started
            self.problems = report.problems
        if not rebuild and not report.stopped and self.derived("edit_segments", edit_segments) >= MERGE_EDITS_AT:
            self._merge.request()
        return report

    def _merge_edits(self) -> None:
        """The edits' small segments merged into one (``edit_merge.py``), on the merge thread."""
        with self._write_lock:
            if not (self.stopping() or self.read_only or self._ix is None):
                self._under_build_lock(None, lambda: merge_edits(self._ix))  # the generation it follows to
                self._refresh()
                self._prepare_tables()

    def _under_build_lock(
        self, progress: Progress | None, work: Callable[[], UpdateReport], follow_only: bool = False
    ) -> UpdateReport:
        """Take the build lock (waiting for another's build), move to the generation it left, run ``work``."""
        lock = self._gens.lock()
        try:
            held = self._gens.acquire(lock, progress, self.stopping)
        except OSError as exc:
            self._note(f"Search index cannot be locked for updating ({exc.strerror or exc}); updates are off.")
            return UpdateReport()
        if not held:
            return UpdateReport(stopped=True)
        try:
            return self._follow_then(progress, work, follow_only)
        finally:
            lock.release()

    def _follow_then(
        self, progress: Progress | None, work: Callable[[], UpdateReport], follow_only: bool
    ) -> UpdateReport:
        """Under the build lock: open the generation the last build left, then run ``work``."""
        before = self._generation
        reason = self._open_active()
        if reason is not None:  # no index yet ("new"), or one that cannot be used: say why, build one
            if reason != NEW:
                self._note(reason)
            return self._rebuild(progress)
        if follow_only and self._generation != before:
            return UpdateReport()  # another process rebuilt meanwhile: its generation is the repair
        return work()

    def _update_or_rebuild(self, progress: Progress | None, changed: Iterable[str | Path] | None) -> UpdateReport:
        try:
            assert self._ix is not None
            return self._sync(self._ix, progress, live=True, changed=changed)
        except LockError:
            self._note("Search index was locked by another run that did not finish; rebuilding a fresh copy.")
            return self._rebuild(progress)
        except Exception as exc:  # a damaged segment found while writing: the cache is rebuilt
            if isinstance(exc, KeyboardInterrupt | MemoryError):
                raise
            self._note(f"Search index could not be updated ({type(exc).__name__}: {exc}); rebuilding.")
            return self._rebuild(progress)

    def _rebuild(self, progress: Progress | None) -> UpdateReport:
        generation = self._gens.new()
        ix = whoosh_index.open_dir(str(self.root / generation))
        report = self._sync(ix, progress, live=False)
        ix.close()
        if report.stopped:  # an incomplete generation is never switched to
            self._gens.remove(generation)
            return report
        self._switch_to(generation)
        report.rebuilt = True
        return report

    def _indexed_files(self, ix: FileIndex) -> Mapping[str, FileState]:
        """What the index holds of each file, from its briefs (never its stored Markdown); through the kept
        searcher when it reads this index's latest commit (opening another cost an edit about 35 ms), made
        from the last update's by what the commits since changed (``manifest.py``)."""
        with self._search_lock:
            if ix is self._ix and self._searcher is not None and self._searcher.up_to_date():
                self._manifest = self._manifest.advanced(self._searcher, self.records.briefs)
                return self._manifest
        with ix.searcher() as s:
            return Manifest().advanced(s, self.records.briefs)

    def _sync(
        self, ix: FileIndex, progress: Progress | None, *, live: bool, changed: Iterable[str | Path] | None = None
    ) -> UpdateReport:
        hooks = Hooks(progress, self.stopping, *((self._refresh, self._readers.writer_searcher) if live else ()))
        try:
            report = sync_files(ix, self.kb_root, self._indexed_files(ix), hooks, changed=changed)
        except BuildFailedError as exc:  # no builder process here: the same work in this process, on one core
            log.warning("%s; indexing in this process", exc)
            report = sync_files(ix, self.kb_root, self._indexed_files(ix), hooks, parallel=False)
        if live:
            self._refresh()
        return report
