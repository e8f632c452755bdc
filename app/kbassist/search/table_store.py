"""Which scoring tables exist: kept by segment id across commits, mapped from disk or decoded from Whoosh.

A commit's ``ScoringTable`` is put together from its segments' tables when every one is at hand: kept in
memory, mapped from the generation's ``scoring`` folder, or small enough to decode on the spot (an edit's
segment of one document takes milliseconds). A segment a full build or a merge wrote is decoded by
``prepare`` after the write, off the search path; until then queries score through Whoosh's matchers, which
give the same numbers, only slower. Once every segment has its table, the leading segments a build wrote are
joined (``join``, ``joined_postings.py``) so that a term's postings there are read in one piece.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.searching import Searcher

from kbassist.search import briefs, joined_postings, table_files, word_index
from kbassist.search.joined_postings import JoinedPostings, Segment
from kbassist.search.phrase_docs import PhraseDocs, PositionsOf, match_synonym_phrases
from kbassist.search.process_memory import return_freed_memory
from kbassist.search.records import count_words, keep_briefs
from kbassist.search.schema import FIELD_BOOSTS
from kbassist.search.scoring_table import Bm25, ScoringTable, SegmentTable, read_segment
from kbassist.search.whoosh_postings import FieldPostings, bm25f_parameters
from kbassist.search.word_index import WordIndex

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
        self._last: ScoringTable | None = None  # the last commit's table: the next one starts from its postings
        self._joined: JoinedPostings | None = None  # the leading segments' postings joined (``join``)
        self._prepared: list[SegmentTable] = []  # the segments of the last ``prepare`` that found them all

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
        joined = self.joined_for(segments, folder)
        self._last = ScoringTable(segments, deleted, scorable, Bm25(*parameters), earlier=self._last, joined=joined)
        return self._last

    def joined_for(self, segments: Sequence[Segment], folder: Path | None) -> JoinedPostings | None:
        """The join of ``segments``' leading ones, in memory or mapped from ``folder``; None while ``join`` has
        not made it (a term's postings are then put together from each segment)."""
        leading = joined_postings.joinable(segments)
        if not leading:
            return None
        with self._lock:
            known = self._joined
        if known is not None and known.keys == tuple(s.key for s in leading):
            return known
        found = joined_postings.load(folder, leading) if folder is not None else None
        if found is not None:
            with self._lock:
                self._joined = found
        return found

    def join(self, folder: Path | None) -> bool:
        """Join the postings of the leading segments of the last ``prepare`` that found every table (and keep
        the join in ``folder``); True when a join was made or mapped that ``view`` did not have, so the commit's
        table is worth making again. 0.26 s for the eight segments of a 10,000-article build (0.07 s the
        postings, the rest the words)."""
        with self._lock:
            segments, known = list(self._prepared), self._joined
        leading = joined_postings.joinable(segments)
        keys = tuple(s.key for s in leading)
        if not leading or (known is not None and known.keys == keys):
            return False
        found = joined_postings.load(folder, leading) if folder is not None else None
        if found is None and folder is not None and joined_postings.write(leading, folder) is not None:
            found = joined_postings.load(folder, leading)  # mapped: the page cache holds it
            return_freed_memory()
        if found is None:  # no folder, or one that cannot be written
            found = joined_postings.join(leading)
        if folder is not None:
            joined_postings.remove_others(folder, found)
        with self._lock:
            self._joined = found
        return True

    def prepare(
        self, searcher: Searcher, folder: Path | None, stopping: Callable[[], bool], *, decode: bool = True
    ) -> bool:
        """Decode (and keep on disk, in ``folder``) the table of every segment that has none (unless ``decode``,
        only those small enough to decode inline: an edit's); True when every segment has one. ``searcher`` is
        used by this thread alone: Whoosh's readers are not shared between threads."""
        readers = _segment_readers(searcher)
        if readers is None or bm25f_parameters(searcher.weighting) is None:
            return False
        tables = []
        for reader in readers:
            inline = decode or reader.doc_count_all() <= INLINE_DOCS
            table = None if stopping() else self._get(reader, folder, decode=inline)
            if table is None:
                return False
            tables.append(table)
        self.retain({r.segment().segment_id() for r in readers}, folder)
        with self._lock:
            self._prepared = tables
        return True

    def retain(self, keys: set[str], folder: Path | None) -> None:
        """Forget the tables (in memory and in ``folder``) of segments other than ``keys``: a merge removed them."""
        with self._lock:
            for gone in [k for k in self._segments if k not in keys]:
                del self._segments[gone]
        if folder is not None:
            forget_others(folder, keys)

    def word_counts(self, reader: Any, folder: Path | None) -> Sequence[tuple[str, int]]:
        """One segment's words for "did you mean" with their frequencies: from its table when it has one (in
        memory or kept in ``folder``), else counted from the index's column."""
        table = self._get(reader, folder, decode=False)
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
            table = decode_segment(reader)
            if folder is not None and keep(table, folder, reader):
                table = table_files.load(folder, key, count) or table  # mapped: the page cache holds it
        if table is not None:
            with self._lock:
                self._segments[key] = table
        return table


def decode_segment(
    reader: Any, postings: Mapping[str, FieldPostings] | None = None, positions_of: PositionsOf | None = None
) -> SegmentTable:
    """A segment's table read from Whoosh, with the documents each synonym phrase matches in it; ``postings``
    and ``positions_of``: what the writer that just wrote the segment still holds of it (the same values)."""
    table = read_segment(reader, SCORED_FIELDS, postings)
    table.phrases = match_synonym_phrases(reader, table, positions_of=positions_of)
    return table


def keep(table: SegmentTable, folder: Path, reader: Any) -> bool:
    """Write what a decoded segment keeps beside the index generation ``folder``: its scoring table, its words
    for "did you mean" (``word_index.py``) and its documents' briefs (``briefs.py``; ``reader``: the segment's
    reader); False when the folder cannot be written."""
    if table_files.save(table, folder) is None:
        return False
    word_index.save(WordIndex(table.words), folder, table.key, table.doc_count)
    keep_briefs(reader, folder)
    return True


def forget_others(folder: Path, keys: set[str]) -> None:
    """Delete the files ``keep`` wrote for segments other than ``keys`` (those a merge removed)."""
    table_files.remove_others(folder, keys)
    word_index.remove_others(folder, keys)
    briefs.remove_others(folder, keys)


def _segment_readers(searcher: Searcher) -> list[Any] | None:
    """The searcher's segment readers in document order, or None when one is not a segment's reader (the
    generation a first build starts from has no segment yet: its one reader is Whoosh's empty reader, whose
    ``segment()`` is None; Whoosh's matchers answer it)."""
    readers = [sub.reader() for sub, _offset in searcher.leaf_searchers()]
    if any(getattr(r, "segment", lambda: None)() is None for r in readers):
        return None
    return readers
