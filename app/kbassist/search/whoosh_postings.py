"""Postings with their scores, and a segment's postings as arrays: the one module that reads Whoosh's internals.

Scoring a case sums the postings of a few hundred leaf queries (``collect.py``). Whoosh's public matcher
protocol (``is_active``, ``id``, ``score``, ``next``) costs several Python calls per posting; a term's
postings can instead be read a block at a time from its leaf matcher's arrays and scored with the term's own
BM25F function, which gives the same numbers. On a KB of 4,500 documents (bench/bench_search.py's generator,
3,000 articles) a field-set case took 157 ms by the arrays and 279 ms by the protocol, lexical ranking only;
on the bundled KB (270 files) the two are alike. A segment with deleted documents wraps each term's matcher
in a filter; its arrays are read all the same, skipping the deleted documents in the same loop.

The scoring table (``scoring_table.py``) holds every posting of a segment as numpy arrays, read here once
per segment (``read_field``): the posting file's blocks are decoded straight into arrays instead of through
a matcher, about 30 times faster than the public protocol.

Those arrays and blocks are whoosh-reloaded's internals, so they are read only on the release this was
written against (``FAST_PATH_VERSIONS``) and only when every field and method read is there, checked once on
the first term or segment seen. Anything else, and any other matcher (phrases, compound leaves), goes
through the public protocol, which gives the same numbers.
"""

from __future__ import annotations

import io
import logging
import pickle
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np
import whoosh
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3LeafMatcher, W3TermInfo, W3TermsReader
from whoosh.matching import Matcher, WrappingMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25F, BM25FScorer

log = logging.getLogger(__name__)

FAST_PATH_VERSIONS = frozenset({(2, 7, 5)})  # whoosh-reloaded releases whose leaf matcher was read and tested
LEAF_READS = ("_ids", "_weights", "_i", "_blocklength", "_read_ids", "_read_weights", "_next_block", "is_active")
SCORER_READS = ("_score", "dfl")
SEGMENT_READS = ("_terms",)  # a segment reader's terms reader, whose ``_postfile`` holds the postings
FILTER_READS = ("_ids", "_exclude", "boost")


def _release_checked() -> bool:
    return tuple(whoosh.__version__[:3]) in FAST_PATH_VERSIONS


class FastPath:
    """Whether a term's postings may be read from its leaf matcher's arrays; decided on the first term seen."""

    def __init__(self) -> None:
        self.usable: bool | None = None  # None until checked; tests set False to force the public protocol

    def allows(self, leaf: Any) -> bool:
        if self.usable is None:
            self.usable = (
                _release_checked()
                and all(hasattr(leaf, name) for name in LEAF_READS)
                and all(hasattr(getattr(leaf, "scorer", None), name) for name in SCORER_READS)
            )
            if not self.usable:
                log.info("Whoosh %s: postings are scored through the public matcher protocol", whoosh.versionstring())
        return self.usable


FAST_PATH = FastPath()


def scored_postings(
    matcher: Matcher, field_length: list[int] | None = None, offset: int = 0
) -> Iterator[tuple[int, float]]:
    """(document, score) for every posting of ``matcher``, in document order, as ``matcher.score()`` gives it.

    ``field_length`` is the matcher's field length per document of the whole index (``collect.field_lengths``)
    and ``offset`` the first document of the matcher's segment: a list lookup instead of Whoosh's.
    """
    boost, leaf = 1.0, matcher
    if type(leaf) is WrappingMatcher:
        boost, leaf = leaf.boost, leaf.child
    skip: frozenset[int] | set[int] = frozenset()
    if type(leaf) is FilterMatcher and all(hasattr(leaf, name) for name in FILTER_READS):
        if leaf._exclude and leaf.boost == 1.0:  # a segment's deleted documents (``SegmentReader.postings``)
            skip, leaf = leaf._ids, leaf.child
        else:
            leaf = matcher
    if type(leaf) is W3LeafMatcher and type(leaf.scorer) is BM25FScorer and FAST_PATH.allows(leaf):
        yield from _term_blocks(leaf, boost, field_length, offset, skip)
        return
    while matcher.is_active():
        yield matcher.id(), matcher.score()
        matcher.next()


def _term_blocks(
    leaf: Any, boost: float, field_length: list[int] | None, offset: int, skip: frozenset[int] | set[int]
) -> Iterator[tuple[int, float]]:
    """A term's postings a block at a time, scored with its own BM25F function (what ``score()`` calls)."""
    score, length = leaf.scorer._score, leaf.scorer.dfl
    if field_length is not None:
        length = (lambda d: field_length[d + offset]) if offset else field_length.__getitem__
    while leaf.is_active():
        if leaf._ids is None:
            leaf._read_ids()
        if leaf._weights is None:
            leaf._read_weights()
        ids, weights = leaf._ids, leaf._weights
        for i in range(leaf._i, leaf._blocklength):
            if skip and ids[i] in skip:
                continue
            yield ids[i], score(weights[i], length(ids[i])) * boost
        leaf._next_block()


# ----------------------------------------------------------------------------- a segment's postings as arrays
def bm25f_parameters(weighting: Any) -> tuple[float, float] | None:
    """(B, K1) of a plain ``BM25F`` weighting, the one the scoring table reproduces; None for any other
    (another model, or a B per field, which Whoosh keeps in a private dict)."""
    if type(weighting) is not BM25F or getattr(weighting, "_field_B", None):
        return None
    return float(weighting.B), float(weighting.K1)


@dataclass(frozen=True, slots=True)
class FieldPostings:
    """Every posting of one field of one segment: terms in index order, their postings one after another."""

    terms: list[bytes]
    doc_freqs: np.ndarray  # int32 per term: Whoosh's document frequency (deleted documents included), for idf
    starts: np.ndarray  # int64, len(terms) + 1: term i's postings are [starts[i], starts[i + 1])
    docs: np.ndarray  # int32 segment-local document numbers, ascending within a term
    weights: np.ndarray  # float32 term frequencies, as Whoosh's matcher gives them


class SegmentFastPath:
    """Whether a segment's posting file may be decoded block by block; decided on the first segment seen."""

    def __init__(self) -> None:
        self.usable: bool | None = None  # None until checked; tests set False to force the public protocol

    def allows(self, reader: Any) -> bool:
        if self.usable is None:
            terms = getattr(reader, "_terms", None)
            self.usable = (
                _release_checked()
                and all(hasattr(reader, name) for name in SEGMENT_READS)
                and type(terms) is W3TermsReader
                and hasattr(terms, "_postfile")
            )
            if not self.usable:
                log.info("Whoosh %s: segments are read through the public matcher protocol", whoosh.versionstring())
        return bool(self.usable) and type(getattr(reader, "_terms", None)) is W3TermsReader


SEGMENT_FAST_PATH = SegmentFastPath()


def read_field(reader: Any, fieldname: str) -> FieldPostings:
    """Every posting of ``fieldname`` in one segment (``reader`` is a segment's reader)."""
    fast = SEGMENT_FAST_PATH.allows(reader)
    postfile = reader._terms._postfile if fast else None
    terms: list[bytes] = []
    freqs: list[int] = []
    starts = [0]
    docs: list[int] = []
    weights: list[float] = []
    for text, info in reader.iter_field(fieldname):
        if fast and type(info) is W3TermInfo:
            _decode_term(postfile, info, docs, weights)
        else:
            _public_term(reader.postings(fieldname, text), docs, weights)
        terms.append(text)
        freqs.append(info.doc_frequency())
        starts.append(len(docs))
    return FieldPostings(
        terms,
        np.array(freqs, dtype=np.int32),
        np.array(starts, dtype=np.int64),
        np.array(docs, dtype=np.int32),
        np.array(weights, dtype=np.float32),
    )


def _public_term(matcher: Matcher, docs: list[int], weights: list[float]) -> None:
    """A term's postings through the public matcher protocol (Whoosh leaves deleted documents out)."""
    while matcher.is_active():
        docs.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()


def _decode_term(postfile: Any, info: Any, docs: list[int], weights: list[float]) -> None:
    """A term's postings decoded from its blocks: [length][block info][zlib'd pickle of (id deltas, weights,
    values)], the last block's length negative (whoosh/codec/whoosh3.py, ``W3PostingsWriter._write_block``)."""
    if info.is_inlined():
        ids, ws, _values = info.inlined_postings()
        docs.extend(ids)
        weights.extend(ws)
        return
    offset, length = info.extent()
    if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves the length as struct.unpack's 1-tuple
        (length,) = length
    data = io.BytesIO(postfile.get(offset, length))
    if data.read(4) != WHOOSH3_HEADER_MAGIC:
        raise ValueError(f"posting list at {offset} does not start with a block header")
    while True:
        size = int.from_bytes(data.read(4), "big", signed=True)
        end = data.tell() + abs(size)
        count, _last_id, _max_weight, compression, _min_len, _max_len = pickle.load(data)
        raw = data.read(end - data.tell())
        deltas, ws, _values = pickle.loads(zlib.decompress(raw) if compression else raw)
        docs.extend(accumulate(deltas))  # ids are delta-coded from 0 within each block
        if isinstance(ws, tuple):
            weights.extend(ws)
        else:  # None: every weight is 1; one number: every weight is that number
            weights.extend([1.0 if ws is None else ws] * count)
        if size < 0:
            return
