"""The documents each phrase query matches, per Whoosh segment, kept across commits and on disk.

Phrases come from the synonym list ("bank transfer", "charged twice"): 120 phrases in 5 fields, the same few
recurring in every case, and matching one costs Whoosh a positions check in every document that holds its
words. Which documents of a segment match a phrase never changes (segments are immutable; deletions are
masked by the scoring table), so every synonym phrase is matched once, when the segment's table is decoded
(``match_synonym_phrases``), and kept in the table's file: at 10,000 articles a fresh process spent about
4 s matching the phrases of its first case, and a warm one up to 0.4 s on a case bringing phrases not seen
before. A phrase outside the list is matched when first asked and kept in memory. Scores are not kept here:
they change with every commit (``ScoringTable.phrase`` computes them from the table).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np
from whoosh.query import Phrase
from whoosh.searching import Searcher

from kbassist.search.queries import PHRASE_SLOP
from kbassist.search.schema import FIELD_BOOSTS
from kbassist.search.scoring_table import PhraseKey, ScoringTable, SegmentTable
from kbassist.search.synonyms import Synonyms, load_synonyms

# A bound on memory: 15,000 documents and 173 cases matched 555 phrases in 38,553 documents in all.
MAX_DOCS = 2_000_000


class PhraseDocs:
    """Segment id -> phrase -> the segment-local documents it matches (ascending)."""

    def __init__(self, max_docs: int = MAX_DOCS) -> None:
        self._by_segment: dict[str, dict[PhraseKey, np.ndarray]] = {}
        self._held = 0
        self.max_docs = max_docs
        self._lock = threading.Lock()

    def docs(
        self, searcher: Searcher, table: ScoringTable, fieldname: str, words: Sequence[bytes], slop: int
    ) -> np.ndarray:
        """Index-wide numbers of the documents the phrase matches (deleted ones may be among them)."""
        key = (fieldname, tuple(words), slop)
        parts = []
        for (sub, _offset), segment, offset in zip(
            searcher.leaf_searchers(), table.segments, table.offsets[:-1], strict=True
        ):
            local = segment.phrases.get(key)
            if local is None:
                with self._lock:
                    local = self._by_segment.get(segment.key, {}).get(key)
            if local is None:
                local = _match(sub, fieldname, words, slop)
                self._keep(segment.key, key, local)
            parts.append(local + offset)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _keep(self, segment: str, key: PhraseKey, local: np.ndarray) -> None:
        with self._lock:
            if self._held + len(local) <= self.max_docs:
                self._by_segment.setdefault(segment, {})[key] = local
                self._held += len(local)

    def retain(self, segments: Iterable[str]) -> None:
        """Forget the segments a merge removed."""
        keep = set(segments)
        with self._lock:
            for gone in [s for s in self._by_segment if s not in keep]:
                self._held -= sum(len(d) for d in self._by_segment.pop(gone).values())


def synonym_phrase_keys(synonyms: Synonyms) -> list[PhraseKey]:
    """Every phrase query a case or a typed search can ask (``queries.term_query`` of a synonym phrase)."""
    phrases = sorted(p for p in synonyms.alternatives if len(p) > 1)
    return [(f, tuple(w.encode("utf-8") for w in p), PHRASE_SLOP) for f in FIELD_BOOSTS for p in phrases]


PositionsOf = Callable[[str, bytes, np.ndarray], dict[int, list[int]]]  # (field, word, documents) -> positions


def match_synonym_phrases(
    reader: Any, table: SegmentTable, synonyms: Synonyms | None = None, positions_of: PositionsOf | None = None
) -> dict[PhraseKey, np.ndarray]:
    """The documents of one segment (``reader``, its ``table``) each synonym phrase matches: those holding
    every word (from the table's postings), then their positions, read from Whoosh once per word and
    document (or by ``positions_of``, which gives what Whoosh would), checked as Whoosh's phrase matcher
    checks them (``near``). Through Whoosh's span matcher this doubled a segment's decoding (9 s of positions
    checks at 10,000 articles)."""
    found: dict[PhraseKey, np.ndarray] = {}
    if positions_of is None:
        positions_of = partial(_positions, reader)
    keys = synonym_phrase_keys(synonyms or load_synonyms())
    for fieldname in dict.fromkeys(key[0] for key in keys):
        candidates = {key: _holding_all(table, fieldname, key[1]) for key in keys if key[0] == fieldname}
        wanted: dict[bytes, list[np.ndarray]] = {}
        for (_f, words, _slop), docs in candidates.items():
            for word in words if len(docs) else ():
                wanted.setdefault(word, []).append(docs)
        positions = {w: positions_of(fieldname, w, _distinct(np.concatenate(d))) for w, d in wanted.items()}
        for key, docs in candidates.items():
            found[key] = _near_docs(docs, [positions.get(w, {}) for w in key[1]], key[2])
    return found


def _distinct(docs: np.ndarray) -> np.ndarray:
    """``np.unique(docs)``, which imports ``numpy.ma`` on its first call: 10-30 ms of the first edit in a
    process that had decoded no segment before."""
    ordered = np.sort(docs)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if len(ordered) else ordered


def _holding_all(table: SegmentTable, fieldname: str, words: Sequence[bytes]) -> np.ndarray:
    """The segment's documents (deleted ones too) whose field holds every one of ``words``."""
    postings = table.fields.get(fieldname)
    common: np.ndarray = _NONE
    for number, word in enumerate(words):
        row = table.row(fieldname, word) if postings is not None else None
        if row is None or postings is None:
            return _NONE
        docs = postings.docs[postings.starts[row] : postings.starts[row + 1]]
        common = docs if number == 0 else np.intersect1d(common, docs, assume_unique=True)
        if not len(common):
            break
    return common


def _positions(reader: Any, fieldname: str, word: bytes, docs: np.ndarray) -> dict[int, list[int]]:
    """``word``'s positions in each of ``docs`` (ascending) that is not deleted (the reader's filter skips
    those)."""
    matcher = reader.postings(fieldname, word)
    out: dict[int, list[int]] = {}
    for doc in docs.tolist():
        if matcher.is_active() and matcher.id() < doc:
            matcher.skip_to(doc)
        if not matcher.is_active():
            break
        if matcher.id() == doc:
            out[doc] = matcher.value_as("positions")
    return out


def _near_docs(docs: np.ndarray, positions: list[dict[int, list[int]]], slop: int) -> np.ndarray:
    found = [
        doc
        for doc in docs.tolist()
        if all(doc in word for word in positions) and near([word[doc] for word in positions], slop)
    ]
    return np.array(found, dtype=np.int64) if found else _NONE


def near(positions: Sequence[Sequence[int]], slop: int) -> bool:
    """Whether the words stand in order, each 1 to ``slop`` places after the span of those before it: what
    ``whoosh.query.SpanNear2`` (``ordered=True, mindist=1``, as ``Phrase`` builds it) finds in a document
    whose words have these sorted positions. A span grows from the first word's position to the last word
    found; the spans of one step are a set, as Whoosh's."""
    spans = {(p, p) for p in positions[0]}
    for following in positions[1:]:
        spans = {(start, p) for start, end in spans for p in following if end < p <= end + slop}
        if not spans:
            return False
    return bool(spans)


_NONE = np.zeros(0, dtype=np.int64)


def _match(sub: Searcher, fieldname: str, words: Sequence[bytes], slop: int) -> np.ndarray:
    """The segment's documents that hold the phrase, through Whoosh's own phrase matcher."""
    matcher = Phrase(fieldname, [w.decode("utf-8") for w in words], slop=slop).matcher(sub, sub.context())
    found: list[int] = []
    while matcher.is_active():
        found.append(matcher.id())
        matcher.next()
    return np.array(found, dtype=np.int64)
