"""Which scoring tables exist: kept by segment id across commits, mapped from disk or decoded from Whoosh.

A commit's ``ScoringTable`` is put together from its segments' tables when every one is at hand: kept in
memory, mapped from the generation's ``scoring`` folder, or small enough to decode on the spot (an edit's
segment of one document takes milliseconds). A segment a full build or a merge wrote is decoded by
``prepare`` after the write, off the search path; until then queries score through Whoosh's matchers, which
give the same numbers, only slower.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from kbassist.search import table_files
from kbassist.search.phrase_docs import PhraseDocs
from kbassist.search.records import count_words
from kbassist.search.schema import FIELD_BOOSTS
from kbassist.search.scoring_table import Bm25, ScoringTable, SegmentTable, read_segment
from kbassist.search.whoosh_postings import bm25f_parameters

log = logging.getLogger(__name__)

SCORED_FIELDS = (*FIELD_BOOSTS, "codes", "id")  # every field a case's or a typed query's leaves score
# A segment this small is decoded when a query first needs it (the bundled KB's 269 documents take 0.3 s on a
# busy 2-core machine, so an edit's one document a few milliseconds); larger ones (a full build, a merge)
# wait for ``prepare``.
INLINE_DOCS = 500


class TableStore:
    """Segment id -> its scoring table, for one index; safe to use from several threads."""

    def __init__(self) -> None:
        self._segments: dict[str, SegmentTable] = {}
        self._lock = threading.Lock()
        self.phrase_docs = PhraseDocs()

    def view(self, searcher: Searcher, folder: Path | None) -> ScoringTable | None:
        """The commit's scoring table, or None while a segment's table is still to be decoded by ``prepare``
        (or the searcher's weighting is not the BM25F the table reproduces)."""
        parameters = bm25f_parameters(searcher.weighting)
        readers = _segment_readers(searcher)
        if parameters is None or readers is None:
            return None
        segments = []
        for reader in readers:
            table = self._get(reader, folder, decode=reader.doc_count_all() <= INLINE_DOCS)
            if table is None:
                return None
            segments.append(table)
        self.phrase_docs.retain(s.key for s in segments)
        deleted = [np.fromiter(r.segment().deleted_docs(), dtype=np.int64) for r in readers]
        scorable = {name: bool(searcher.schema[name].scorable) for name in SCORED_FIELDS if name in searcher.schema}
        return ScoringTable(segments, deleted, scorable, Bm25(*parameters))

    def prepare(
        self, searcher: Searcher, folder: Path | None, stopping: Callable[[], bool], *, decode: bool = True
    ) -> bool:
        """Decode (and keep on disk, in ``folder``) the table of every segment that has none (only map those on
        disk unless ``decode``); True when every segment has one. ``searcher`` is used by this thread alone:
        Whoosh's readers are not shared between threads."""
        readers = _segment_readers(searcher)
        if readers is None or bm25f_parameters(searcher.weighting) is None:
            return False
        for reader in readers:
            if stopping() or self._get(reader, folder, decode=decode) is None:
                return False
        keys = {r.segment().segment_id() for r in readers}
        with self._lock:
            for gone in [k for k in self._segments if k not in keys]:
                del self._segments[gone]
        if folder is not None:
            table_files.remove_others(folder, keys)
        return True

    def word_counts(self, reader: Any) -> list[tuple[str, int]]:
        """One segment's words for "did you mean" with their frequencies: from its table when it has one,
        else counted from the index's column."""
        with self._lock:
            table = self._segments.get(reader.segment().segment_id())
        return table.words if table is not None else count_words(reader)

    def _get(self, reader: Any, folder: Path | None, *, decode: bool) -> SegmentTable | None:
        key = reader.segment().segment_id()
        with self._lock:
            table = self._segments.get(key)
        if table is not None:
            return table
        count = reader.doc_count_all()
        table = table_files.load(folder, key, count) if folder is not None else None
        if table is None and decode:
            table = read_segment(reader, SCORED_FIELDS)
            if folder is not None and table_files.save(table, folder) is not None:
                table = table_files.load(folder, key, count) or table  # mapped: the page cache holds it
        if table is not None:
            with self._lock:
                self._segments[key] = table
        return table


def _segment_readers(searcher: Searcher) -> list[Any] | None:
    """The searcher's segment readers in document order, or None when one is not a segment's reader."""
    readers = [sub.reader() for sub, _offset in searcher.leaf_searchers()]
    if any(not hasattr(r, "segment") for r in readers):
        return [] if searcher.doc_count_all() == 0 else None
    return readers
