"""A matcher's postings with their scores: the one module that reads Whoosh's private matcher fields.

Scoring a case sums the postings of a few hundred leaf queries (``collect.py``). Whoosh's public matcher
protocol (``is_active``, ``id``, ``score``, ``next``) costs several Python calls per posting; a term's
postings can instead be read a block at a time from its leaf matcher's arrays and scored with the term's own
BM25F function, which gives the same numbers. On a KB of 4,500 documents (bench/bench_search.py's generator,
3,000 articles) a field-set case took 157 ms by the arrays and 279 ms by the protocol, lexical ranking only;
on the bundled KB (270 files) the two are alike.

Those arrays are whoosh-reloaded's internals, so they are read only on the release this was written against
(``FAST_PATH_VERSIONS``) and only when every field and method read is there, checked once on the first term
seen. Anything else, and any other matcher (phrases, compound leaves), goes through the public protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import whoosh
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import Matcher, WrappingMatcher
from whoosh.scoring import BM25FScorer

log = logging.getLogger(__name__)

FAST_PATH_VERSIONS = frozenset({(2, 7, 5)})  # whoosh-reloaded releases whose leaf matcher was read and tested
LEAF_READS = ("_ids", "_weights", "_i", "_blocklength", "_read_ids", "_read_weights", "_next_block", "is_active")
SCORER_READS = ("_score", "dfl")


class FastPath:
    """Whether a term's postings may be read from its leaf matcher's arrays; decided on the first term seen."""

    def __init__(self) -> None:
        self.usable: bool | None = None  # None until checked; tests set False to force the public protocol

    def allows(self, leaf: Any) -> bool:
        if self.usable is None:
            self.usable = (
                tuple(whoosh.__version__[:3]) in FAST_PATH_VERSIONS
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
    if type(matcher) is WrappingMatcher:
        boost, leaf = matcher.boost, matcher.child
    if type(leaf) is W3LeafMatcher and type(leaf.scorer) is BM25FScorer and FAST_PATH.allows(leaf):
        yield from _term_blocks(leaf, boost, field_length, offset)
        return
    while matcher.is_active():
        yield matcher.id(), matcher.score()
        matcher.next()


def _term_blocks(leaf: Any, boost: float, field_length: list[int] | None, offset: int) -> Iterator[tuple[int, float]]:
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
            yield ids[i], score(weights[i], length(ids[i])) * boost
        leaf._next_block()
