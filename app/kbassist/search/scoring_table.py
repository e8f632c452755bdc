"""Every posting of the scored fields as numpy arrays, scored with Whoosh's BM25F formula at query time.

Summing a case's few hundred leaf queries one posting at a time in Python took 97 % of a suggestion on a
KB of 10,000 articles (about 285,000 postings a case). Here each leaf is a few array operations over its
postings: ``acc[docs] += scores``.

Whoosh segments never change once written (a deletion only marks documents), so a segment's arrays are read
once (``read_segment``), kept across commits by segment id and persisted beside the index generation
(``table_files.py``); an edit adds a small segment and decodes only that. What changes with every commit
(the number of documents, each field's average length, a term's document frequency, deletions) lives in
``ScoringTable``, built per commit from the segments' arrays in a few milliseconds, and the scores follow
the same formula, in the same order of operations, as ``whoosh.scoring.BM25FScorer``: the same floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh.util.numeric import byte_to_length

from kbassist.search.records import count_words
from kbassist.search.whoosh_postings import FieldPostings, read_field

if TYPE_CHECKING:
    from kbassist.search.joined_postings import JoinedPostings

PhraseKey = tuple[str, tuple[bytes, ...], int]  # field, words, slop

# Postings and scores kept per commit for terms seen before, the same terms recurring from case to case (20
# bytes a posting: 40 MiB at most).
MAX_SCORED_POSTINGS = 2_000_000

# Decoded length of each of Whoosh's one-byte field lengths (what ``doc_field_length`` returns for it).
LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


@dataclass(slots=True)
class SegmentTable:
    """One Whoosh segment's postings and field lengths, deleted documents included."""

    key: str  # Whoosh's segment id
    doc_count: int  # documents in the segment, deleted or not
    fields: Mapping[str, FieldPostings]  # a mapped table's are made when first read (``table_files.py``)
    lengths: dict[str, np.ndarray]  # scored field -> uint8 length byte per document (0: not in the document)
    totals: dict[str, int]  # scored field -> its exact total length in the segment (BM25F's average uses it)
    words: Sequence[tuple[str, int]] = field(default_factory=list)  # "did you mean"'s words and frequencies
    # (field, words, slop) -> the segment's documents the phrase matches, for the synonym list's phrases
    # (``phrase_docs.match_synonym_phrases``), matched when the segment is decoded and kept with its table.
    phrases: dict[PhraseKey, np.ndarray] = field(default_factory=dict)
    _rows: dict[str, dict[bytes, int]] = field(default_factory=dict)

    def row(self, fieldname: str, text: bytes) -> int | None:
        return term_row(self._rows, self.fields, fieldname, text)


def term_row(
    rows: dict[str, dict[bytes, int]], fields: Mapping[str, FieldPostings], fieldname: str, text: bytes
) -> int | None:
    """The term's row in its field's term list (``rows``: each field's term -> row, made at its first look-up)."""
    known = rows.get(fieldname)
    if known is None:
        postings = fields.get(fieldname)
        known = rows[fieldname] = {t: i for i, t in enumerate(postings.terms)} if postings else {}
    return known.get(text)


def read_segment(
    reader: Any, fieldnames: Sequence[str], postings: Mapping[str, FieldPostings] | None = None
) -> SegmentTable:
    """The table of one segment (``reader``: a Whoosh segment reader), for the fields queries score;
    ``postings``: those fields' postings when known already (a builder's writer has them in memory), else read
    from the segment."""
    schema = reader.schema
    count = reader.doc_count_all()
    if postings is None:
        indexed = set(reader.indexed_field_names())
        fields = {name: read_field(reader, name) for name in fieldnames if name in indexed}
    else:
        fields = {name: postings[name] for name in fieldnames if name in postings}
    lengths: dict[str, np.ndarray] = {}
    totals: dict[str, int] = {}
    for name in fieldnames:
        if name in schema and schema[name].scorable:
            lengths[name] = _length_bytes(reader, name, count)
            totals[name] = int(reader.field_length(name))
    return SegmentTable(reader.segment().segment_id(), count, fields, lengths, totals, count_words(reader))


def _length_bytes(reader: Any, fieldname: str, count: int) -> np.ndarray:
    """The one-byte length Whoosh keeps per document, recovered from the decoded length it returns."""
    decoded = np.array([reader.doc_field_length(d, fieldname, 0) or 0 for d in range(count)], dtype=np.float64)
    return np.searchsorted(LENGTH_OF_BYTE, decoded).astype(np.uint8)


@dataclass(frozen=True, slots=True)
class Bm25:
    """BM25F's parameters as the searcher's weighting has them (``whoosh.scoring.BM25F``)."""

    b: float = 0.75
    k1: float = 1.2


class ScoringTable:
    """The segments of one commit, in the searcher's order, with what BM25F needs of the whole index."""

    def __init__(
        self,
        segments: Sequence[SegmentTable],
        deleted: Sequence[np.ndarray],
        scorable: Mapping[str, bool],
        bm25: Bm25 = Bm25(),
        earlier: ScoringTable | None = None,
        joined: JoinedPostings | None = None,
    ) -> None:
        """``deleted``: each segment's deleted document numbers; ``scorable``: field -> scored by BM25F
        (else by its weight, as Whoosh's ``WeightScorer``); ``earlier``: the last commit's table, whose
        postings and document frequencies hold for the segments this one starts with (``_from_earlier``);
        ``joined``: the postings of the leading segments a build wrote, joined across them
        (``joined_postings.py``)."""
        self.segments = list(segments)
        self.bm25 = bm25
        self.scorable = dict(scorable)
        self.offsets = np.cumsum([0, *(s.doc_count for s in self.segments)])
        self.doc_count_all = int(self.offsets[-1])
        self.live = np.ones(self.doc_count_all, dtype=bool)
        for seg_deleted, offset in zip(deleted, self.offsets[:-1], strict=True):
            self.live[np.asarray(seg_deleted, dtype=np.int64) + offset] = False
        self.norms = {name: self._norm(name) for name, scored in self.scorable.items() if scored}
        self._starts = self.offsets[:-1].tolist()
        # (field, term) -> (documents, weights, document frequency) and the scores at boost 1: the same terms
        # recur from case to case.
        self._postings: dict[tuple[str, bytes], tuple[np.ndarray, np.ndarray, int]] = {}
        self._scored: dict[tuple[str, bytes], np.ndarray] = {}
        self._held = 0
        self._phrases: dict[tuple[str, tuple[bytes, ...], int], tuple[np.ndarray, np.ndarray]] = {}
        self._frequencies: dict[tuple[str, bytes], int] = {}
        self._live_count = int(self.live.sum())
        self._joined = joined
        self._earlier = _from_earlier(earlier, self.segments, joined)

    def _norm(self, fieldname: str) -> np.ndarray:
        """K1 * ((1 - B) + B * length / average length) per document, as ``whoosh.scoring.bm25`` computes it."""
        total = sum(s.totals.get(fieldname, 0) for s in self.segments)
        average = total / (self.doc_count_all or 1) or 1
        lengths = np.concatenate(
            [
                LENGTH_OF_BYTE[s.lengths[fieldname]] if fieldname in s.lengths else np.zeros(s.doc_count)
                for s in self.segments
            ]
            or [np.zeros(0)]
        )
        b, k1 = self.bm25.b, self.bm25.k1
        norm: np.ndarray = k1 * ((1 - b) + b * lengths / average)
        return norm

    def postings(self, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray, int]:
        """The term's postings in the whole index: (document numbers, weights, document frequency).

        The segments the last commit's table had come from it (an edit reads only its own new segment); each
        slice is then written once into arrays made for the whole term (a slice plus its offset, then a
        concatenation, copied every posting twice): a term the cache cannot hold is read at every query."""
        known = self._postings.get((fieldname, text))
        if known is not None:
            return known
        parts: list[tuple[np.ndarray, np.ndarray, int]] = []  # (documents, weights, offset to add)
        frequency = 0
        first = 0
        if self._earlier is not None:  # the segments this table starts with, as the last commit's table had them
            earlier_docs, earlier_weights, frequency = self._earlier.postings(fieldname, text)
            parts.append((earlier_docs, earlier_weights, 0))
            first = len(self._earlier.segments)
        elif self._joined is not None:  # the leading segments, joined beforehand
            joined_docs, joined_weights, frequency = self._joined.postings(fieldname, text)
            parts.append((joined_docs, joined_weights, 0))
            first = len(self._joined.keys)
        for segment, offset in zip(self.segments[first:], self._starts[first:], strict=True):
            row = segment.row(fieldname, text)
            if row is None:
                continue
            postings = segment.fields[fieldname]
            start, end = int(postings.starts[row]), int(postings.starts[row + 1])
            frequency += int(postings.doc_freqs[row])
            parts.append((postings.docs[start:end], postings.weights[start:end], offset))
        known = (*_concatenated([p for p in parts if len(p[0])]), frequency)
        if self._held + len(known[0]) <= MAX_SCORED_POSTINGS:
            self._postings[fieldname, text] = known
            self._held += len(known[0])
        return known

    def doc_count(self) -> int:
        """Documents not deleted (``Searcher.doc_count``)."""
        return self._live_count

    def doc_frequency(self, fieldname: str, text: str | bytes) -> int:
        """``Searcher.doc_frequency`` from the arrays: documents holding the term, deleted ones counted, as
        Whoosh counts them. Choosing a case's key terms asked Whoosh's term files about 1,700 times a case,
        two fifths of a suggestion at 10,000 articles."""
        key = (fieldname, text.encode("utf-8") if isinstance(text, str) else text)
        known = self._frequencies.get(key)
        if known is None:
            known, first = 0, 0
            if self._earlier is not None:
                known, first = self._earlier.doc_frequency(*key), len(self._earlier.segments)
            elif self._joined is not None:
                known, first = self._joined.doc_frequency(*key), len(self._joined.keys)
            for segment in self.segments[first:]:
                row = segment.row(*key)
                if row is not None:
                    known += int(segment.fields[fieldname].doc_freqs[row])
            self._frequencies[key] = known
        return known

    def idf(self, frequency: int) -> float:
        """``whoosh.scoring.WeightingModel.idf``: deleted documents count, as in Whoosh."""
        return math.log(self.doc_count_all / (frequency + 1)) + 1

    def term(self, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(documents, scores) of one term query at boost 1, each score what Whoosh's matcher gives: the
        table's own arrays (read them, never write to them; a leaf's boost is applied by ``collect``)."""
        docs, weights, frequency = self.postings(fieldname, text)
        scores = self._scored.get((fieldname, text))
        if scores is None:
            scores = self.scores(fieldname, docs, weights, self.idf(frequency)) if len(docs) else _EMPTY_SCORES
            if (fieldname, text) in self._postings:  # kept with the postings, within their bound
                self._scored[fieldname, text] = scores
        return docs, scores

    def scores(self, fieldname: str, docs: np.ndarray, weights: np.ndarray, idf: float) -> np.ndarray:
        """Each posting's score at boost 1 (``BM25FScorer._score``, or the weight for a field without lengths):
        ``idf * ((tf * (k1 + 1)) / (tf + norm))``, the same operations on the same operands, in place. A term
        the per-commit cache cannot hold any more (a typed search's terms after a day of cases) is scored at
        every query; new arrays for each step took 270-290 us for 50,000 postings, in place 166-210 us."""
        tf = weights.astype(np.float64)
        if not self.scorable.get(fieldname, False):
            return tf  # WeightScorer: the weight itself
        k1 = self.bm25.k1
        below = self.norms[fieldname].take(docs)
        np.add(tf, below, out=below)
        np.multiply(tf, k1 + 1, out=tf)
        np.divide(tf, below, out=tf)
        np.multiply(idf, tf, out=tf)
        return tf

    def phrase(
        self, fieldname: str, words: Sequence[bytes], slop: int, matches: Callable[[], np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(documents, scores) of a phrase query; ``matches()`` gives the documents it matches. A document's
        score is its words' term scores summed as Whoosh's ``IntersectionMatcher`` tree sums them
        (``make_binary_tree``), at boost 1: the table's own arrays, as for ``term``."""
        key = (fieldname, tuple(words), slop)
        known = self._phrases.get(key)
        if known is None:
            docs = matches()
            known = self._phrases[key] = (docs, _tree_sum([self._word_scores(fieldname, w, docs) for w in words]))
        return known

    def _word_scores(self, fieldname: str, word: bytes, docs: np.ndarray) -> np.ndarray:
        word_docs, word_scores = self.term(fieldname, word)
        return word_scores[np.searchsorted(word_docs, docs)]  # every phrase document holds each of its words


def _from_earlier(
    earlier: ScoringTable | None, segments: Sequence[SegmentTable], joined: JoinedPostings | None
) -> ScoringTable | None:
    """``earlier`` when this commit's segments start with all of its own (an edit adds a segment and marks
    documents deleted: which documents hold a term, with what weight, and how many, never change with
    deletions). The postings it found for a term then need looking up only in the segments added since:
    read across every segment again for each term, the first case after an edit took 20 ms longer at 10,000
    articles. Only the last commit's table is kept (``earlier`` forgets its own), and scores are always
    computed afresh: the document count and the average field lengths change with every commit. A join that
    came after ``earlier`` was made (``joined``) replaces it: it reads the same segments faster."""
    if earlier is None or len(earlier.segments) > len(segments) or earlier._joined is not joined:
        return None
    if any(old.key != new.key for old, new in zip(earlier.segments, segments, strict=False)):
        return None
    earlier._earlier = None
    return earlier


def _concatenated(parts: list[tuple[np.ndarray, np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Postings slices (documents, weights, offset) as one pair of arrays, the offsets added."""
    if not parts:
        return _EMPTY_DOCS, _EMPTY_WEIGHTS
    if len(parts) == 1:
        docs, weights, offset = parts[0]
        return (docs + offset if offset else docs), weights
    size = sum(len(docs) for docs, _w, _o in parts)
    joined_docs = np.empty(size, dtype=np.result_type(*(docs.dtype for docs, _w, _o in parts)))
    joined_weights = np.empty(size, dtype=np.result_type(*(weights.dtype for _d, weights, _o in parts)))
    at = 0
    for docs, weights, offset in parts:
        np.add(docs, offset, out=joined_docs[at : at + len(docs)])
        joined_weights[at : at + len(docs)] = weights
        at += len(docs)
    return joined_docs, joined_weights


def _tree_sum(parts: list[np.ndarray]) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    summed: np.ndarray = _tree_sum(parts[:half]) + _tree_sum(parts[half:])
    return summed


_EMPTY_DOCS = np.zeros(0, dtype=np.int64)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)
