"""Typed search: what an associate types into the search box, a few words, the last perhaps half-typed.

Each word is a set of alternatives (the word, its synonyms, its completions, a code, an id), each leaf scored
as a case's terms are (``collect.leaf_arrays``: the scoring table's postings); a word scores its best
alternative, and documents that match every word come first. Only the documents the leaves match are
touched, so a typed search costs what its words match, not what the KB holds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np
from whoosh.query import Query, Term
from whoosh.searching import Searcher

from kbassist.search.collect import (
    CaseHit,
    ScoringCache,
    Terms,
    leaf_arrays,
    leaf_terms,
    leaves,
    make_hits,
    top_docs,
)
from kbassist.search.queries import CODE_BOOST, term_query
from kbassist.search.spelling import distance
from kbassist.search.synonyms import Synonyms
from kbassist.search.text import INDEX_STOP_WORDS, is_stop, stem, tokenize

QUERY_SYNONYM_FACTOR = 0.6  # for typed queries: two or three words, synonyms matter most here
COMPLETIONS = 3  # words the KB knows that a half-typed last word may become, most common first
ALL_WORDS_FACTOR = 3.0  # a typed query's documents that match every word rank above those matching some
FEW_HITS = 5  # below this many results a correction is offered ("Did you mean …?") without being searched
# A word this long may be two edits from its correction and still be taken as a typo of it ("chargbaeck");
# a shorter one only one: "daniel", a name typed into the box, is two edits from the KB's "panel".
LONG_WORD = 8


def sure_correction(typed: Sequence[str], fixed: Sequence[str]) -> bool:
    """Whether the corrected words may be searched instead of the typed ones: each changed word one edit away
    (two for a long word). Otherwise the correction is only offered."""
    changed = [(a, b) for a, b in zip(typed, fixed, strict=True) if a != b]
    return bool(changed) and all(distance(a, b) <= (2 if len(a) >= LONG_WORD else 1) for a, b in changed)


# One typed word: the queries it may mean (itself, a synonym, a completion, a code or an id).
TypedWord = tuple[Query, ...]


def search_word_queries(
    text: str, synonyms: Synonyms, complete: Callable[[str], Sequence[str]] | None = None
) -> list[TypedWord]:
    """A typed query, one set of alternatives per word (its fields, synonyms, codes, ids).

    The last word may be half-typed: `complete` offers the KB's words it may become ("schedu" ->
    "schedule"), each searched as if typed in full. `collect_words` combines the words so that documents
    matching every word come first.
    """
    words = [w for w in tokenize(text) if w not in INDEX_STOP_WORDS]
    clauses: list[TypedWord] = []
    for i, word in enumerate(words):
        phrase = (stem(word),)
        options = [term_query(phrase, 1.0)]
        options.extend(term_query(alt, QUERY_SYNONYM_FACTOR) for alt in synonyms.expand(phrase))
        if complete and i == len(words) - 1 and len(word) >= 3 and not is_stop(word):
            stems = {phrase[0]}
            for completion in complete(word):
                if (fixed := stem(completion)) not in stems:
                    stems.add(fixed)
                    options.append(term_query((fixed,), 1.0))
        options.append(Term("codes", word, boost=CODE_BOOST))
        options.append(Term("id", word, boost=CODE_BOOST))
        clauses.append(tuple(options))
    return clauses


def collect_words(
    searcher: Searcher,
    words: Sequence[TypedWord],
    limit: int,
    cache: ScoringCache | None = None,
    allowed: Collection[int] | None = None,
) -> list[CaseHit]:
    """The best documents for a typed query of one set of alternatives per word.

    A document scores the sum of its word scores, scaled by the share of the words it matches, and lifted
    again when it matches them all: "refund late" puts articles about late refunds above every article
    that merely says "refund" often. A word scores its best alternative, not their sum: "arrived" stands
    for "pending", "stuck", "on hold" and "in transit", and an article that uses all four is not four
    times as much about it (summed, "refund not arrived" put the article on late refunds out of the top ten).

    Only the documents some alternative matches are touched: a word's alternatives are summed into one
    array and cleared again by the postings that touched it, and the words are combined over the documents
    they matched. Scoring every alternative over every document (a dozen passes over arrays as long as the
    index, per alternative) made a typed search's cost grow with the KB: 6.4 ms p95 at 10,000 articles.
    """
    if not words:
        return []
    table = cache.table if cache is not None else None
    count = table.doc_count_all if table is not None else searcher.doc_count_all()
    context = searcher.context(needs_current=False)
    # Whoosh's matchers skip deleted documents themselves; the table's postings hold them.
    floor = np.where(table.live, -np.inf, np.inf) if table is not None else np.full(count, -np.inf)
    per_word = [_best_alternative(word, floor, lambda q: leaf_arrays(searcher, q, context, cache)) for word in words]
    permitted = None
    if allowed is not None:
        permitted = np.zeros(count, dtype=bool)
        permitted[np.fromiter(allowed, dtype=np.int64, count=len(allowed))] = True
    docs, scores = _combine(per_word, count, permitted)
    best = top_docs(docs, scores, limit)
    chosen = scores[np.searchsorted(docs, best)].tolist()
    return make_hits(searcher, best, chosen, _terms_of(per_word, best, count), cache)


@dataclass(slots=True)
class _WordMatch:
    """One typed word's best alternative in each document it matches, and what its matched terms are found by."""

    docs: np.ndarray  # the documents some alternative matched, ascending (deleted ones never)
    scores: np.ndarray  # each of these documents' best alternative score
    best: np.ndarray  # the same per document number (-inf: unmatched; +inf: deleted)
    leaves: list[Query]  # the alternatives' leaves that matched something, in order
    ranks: np.ndarray  # each leaf's alternative as a rank: the first alternative ranks highest
    postings: np.ndarray  # the leaves' documents, one after the other
    ends: np.ndarray  # where each leaf's documents end in ``postings``
    values: np.ndarray  # at each posting, the sum of its alternative in that document


def _best_alternative(
    word: TypedWord, floor: np.ndarray, arrays: Callable[[Query], tuple[np.ndarray, np.ndarray]]
) -> _WordMatch:
    """Each document's best-scoring alternative of one typed word, its score the sum of that alternative's
    leaves in their order (as a Whoosh union adds them). ``floor``: per document, what an alternative's score
    must exceed to count (-inf; +inf for a deleted document, which none may match).

    Each alternative's sums are made in one array, read at the postings that touched it and cleared there;
    the best of them is then taken for all postings at once. Which alternative won (the first among equals)
    only matters for the terms of the few documents shown (``_terms_of``)."""
    found: list[tuple[Query, int, np.ndarray, np.ndarray]] = []
    for rank, option in zip(range(len(word), 0, -1), word, strict=True):
        found.extend((leaf, rank, d, s) for leaf in leaves(option) for d, s in [arrays(leaf)] if len(d))
    postings = np.concatenate([docs for _l, _r, docs, _s in found]) if found else np.zeros(0, dtype=np.int64)
    ends = np.cumsum([len(docs) for _l, _r, docs, _s in found], dtype=np.int64)
    ranks = np.array([rank for _l, rank, _d, _s in found], dtype=np.int32)
    summed = np.zeros(len(floor), dtype=np.float64)  # one alternative's sums, zero again after each
    values = np.empty(len(postings), dtype=np.float64)
    for first, last in _runs(ranks):
        for _leaf, _rank, docs, scores in found[first:last]:
            np.add.at(summed, docs, scores)  # ufunc.at: half the time of summed[docs] += scores (numpy 2.4)
        start, end = (ends[first - 1] if first else 0), ends[last - 1]
        touched = postings[start:end]  # a document twice when two leaves matched it: the same sum
        np.take(summed, touched, out=values[start:end])
        summed[touched] = 0.0
    best = floor.copy()
    np.maximum.at(best, postings, values)
    # Masks over a flatnonzero of booleans, not integers or ``a[mask]``: 4 times faster on these arrays.
    docs = np.flatnonzero(np.isfinite(best))
    leaf_list = [leaf for leaf, *_rest in found]
    return _WordMatch(docs, best.take(docs), best, leaf_list, ranks, postings, ends, values)


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(first, end) of each run of equal neighbours in ``values``."""
    cuts = [0, *(np.flatnonzero(np.diff(values)) + 1).tolist(), len(values)] if len(values) else [0]
    return list(itertools.pairwise(cuts))


def _combine(per_word: list[_WordMatch], count: int, permitted: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The documents any word matched (ascending) and their scores: the words' best scores summed in order,
    times the share of the words matched, times ``ALL_WORDS_FACTOR`` when that share is all of them."""
    total = np.zeros(count, dtype=np.float64)
    matched = np.zeros(count, dtype=np.int64)
    for word in per_word:
        docs, scores = word.docs, word.scores
        if permitted is not None:
            keep = np.flatnonzero(permitted.take(docs))
            docs, scores = docs.take(keep), scores.take(keep)
        np.add.at(total, docs, scores)
        np.add.at(matched, docs, 1)
    docs = np.flatnonzero(matched != 0)
    share = matched.take(docs)
    n = len(per_word)
    lift = np.where(share == n, ALL_WORDS_FACTOR, 1.0) if n > 1 else np.ones(len(docs))
    combined: np.ndarray = total.take(docs) * ((share / n) * lift)
    return docs, combined


def _terms_of(per_word: list[_WordMatch], docnums: list[int], count: int) -> dict[int, set[tuple[str, bytes]]]:
    """The terms each of ``docnums`` matched: those of the leaves of each word's winning alternative there,
    the first of those reaching the document's best score."""
    out: dict[int, set[tuple[str, bytes]]] = {d: set() for d in docnums}
    wanted = np.zeros(count, dtype=bool)
    wanted[docnums] = True
    for word in per_word:
        at = np.flatnonzero(wanted.take(word.postings))
        docs = word.postings.take(at)
        at = at[word.values.take(at) == word.best.take(docs)]  # the postings of alternatives reaching the best
        docs, leaf = word.postings.take(at), np.searchsorted(word.ends, at, side="right")
        rank = word.ranks.take(leaf)
        winner = np.zeros(count, dtype=np.int32)
        np.maximum.at(winner, docs, rank)
        won = rank == winner.take(docs)
        terms: dict[int, Terms] = {}
        for doc, i in zip(docs[won].tolist(), leaf[won].tolist(), strict=True):
            if i not in terms:
                terms[i] = leaf_terms(word.leaves[i])
            out[doc].update(terms[i])
    return out
