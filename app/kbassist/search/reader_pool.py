"""Searchers that share each segment's open files: a commit opens only the segments it added.

Whoosh opens every segment's files again for each searcher (and its compound-file reader copied each file
into memory, which ``segment_files.py`` now reads in place): at 10,000 articles opening a searcher cost
20-40 ms, and an edit opened three (the writer's search for the document it replaces, the
searcher kept after the commit, the scoring tables' own). Whoosh's reuse (``Searcher.refresh``) keeps a
segment's reader as it was opened, deletions and all, so a commit that only deletes stays invisible to it.

Here each segment's reader is opened once and owned by the pool; a searcher reads through views of it that
carry the commit's own segment (its deletions, its generation) and never close the shared files. The pool
closes the reader of a segment once no commit holds it (a merge removed it). The files are shared, so the
searchers made here are used under one lock (``KbIndex``'s search lock), as the kept searcher always was.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.index import FileIndex
from whoosh.reading import EmptyReader, IndexReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from kbassist.search.segment_files import open_segment


class _SharedPerDoc(W3PerDocReader):  # type: ignore[misc]
    """A segment's per-document reader with another commit's deletions; the files stay the pool's."""

    def close(self) -> None:
        """The pool's reader owns the column files."""


class _SegmentView(SegmentReader):  # type: ignore[misc]
    """A pooled segment reader seen through one commit's segment (its deletions) and generation."""

    def __init__(self, base: SegmentReader, segment: Any, generation: int | None) -> None:
        # No SegmentReader.__init__: that opens the segment's files, which ``base`` holds open.
        self.__dict__.update(base.__dict__)
        perdoc = _SharedPerDoc.__new__(_SharedPerDoc)
        perdoc.__dict__.update(base._perdoc.__dict__)  # the column caches are shared dicts: opened once
        perdoc._segment = segment
        self._perdoc = perdoc
        self._segment = segment
        self._gen = generation
        self.is_closed = False

    def close(self) -> None:
        self.is_closed = True  # the files stay open for the next commit's searchers


class ReaderPool:
    """Segment id -> its open ``SegmentReader``; searchers of any commit of one index are made of views."""

    def __init__(self, in_use: AbstractContextManager[Any]) -> None:
        """``in_use``: the lock every searcher made here is read under (``KbIndex``'s search lock)."""
        self._open: dict[str, SegmentReader] = {}
        self._lock = threading.Lock()
        self._in_use = in_use

    def searcher(self, ix: FileIndex) -> Searcher:
        """A searcher of ``ix``'s latest commit (as ``ix.searcher()``), opening only segments not seen before."""
        toc = ix._read_toc()
        reader = self._reader(ix.storage, toc.schema, toc.segments, toc.generation)
        return Searcher(reader, fromindex=ix)

    @contextlib.contextmanager
    def writer_searcher(self, writer: Any) -> Iterator[Searcher]:
        """A searcher of a Whoosh writer's segments (the deletions it made so far are seen, as by the searcher
        the writer would open itself), used under the lock of the searchers it shares files with."""
        with self._in_use:
            reader = self._reader(writer.storage, writer.schema, writer.segments, writer.generation)
            with Searcher(reader) as searcher:
                yield searcher

    def _reader(self, storage: Any, schema: Any, segments: Sequence[Any], generation: int | None) -> IndexReader:
        if not segments:
            return EmptyReader(schema)
        views = [self._view(storage, schema, segment, generation) for segment in segments]
        return views[0] if len(views) == 1 else MultiReader(views, generation=generation)

    def _view(self, storage: Any, schema: Any, segment: Any, generation: int | None) -> SegmentReader:
        key = segment.segment_id()
        with self._lock:
            base = self._open.get(key)
            if base is None:
                base = self._open[key] = open_segment(storage, schema, segment, generation)
        if type(base._perdoc) is not W3PerDocReader:  # another codec: no view of it, a reader of its own
            return open_segment(storage, schema, segment, generation)
        return _SegmentView(base, segment, generation)

    def retain(self, searcher: Searcher) -> None:
        """Close the readers of segments ``searcher`` does not read (a merge removed them; no other searcher may
        still read them)."""
        self._retain({s.segment_id() for s in _segments(searcher)})

    def _retain(self, keep: set[str]) -> None:
        with self._lock:
            gone = [self._open.pop(key) for key in [k for k in self._open if k not in keep]]
        for reader in gone:
            reader.close()

    def close(self) -> None:
        self._retain(set())


def _segments(searcher: Searcher) -> list[Any]:
    readers = [sub.reader() for sub, _offset in searcher.leaf_searchers()]
    return [segment for r in readers if (segment := getattr(r, "segment", lambda: None)()) is not None]
