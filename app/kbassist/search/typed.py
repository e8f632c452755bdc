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

    Scoring every alternative over every document (a dozen passes over arrays as long as the index, some of
    them masked copies, per alternative) made a typed search grow with the KB: 6.4 ms p95 at 10,000
    articles, 20.8 ms at 50,000. Here each alternative costs its postings (``_best_alternative``) and each
    word a few plain passes over the documents.
    """
    if not words:
        return []
    table = cache.table if cache is not None else None
    count = table.doc_count_all if table is not None else searcher.doc_count_all()
    context = searcher.context(needs_current=False)
    summed = np.zeros(count, dtype=np.float64)  # one alternative's sums, zero again after each
    per_word = [_best_alternative(word, summed, lambda q: leaf_arrays(searcher, q, context, cache)) for word in words]
    shown = np.ones(count, dtype=bool) if table is None else table.live.copy()  # Whoosh's matchers skip deleted
    if allowed is not None:
        permitted = np.zeros(count, dtype=bool)
        permitted[np.fromiter(allowed, dtype=np.int64, count=len(allowed))] = True
        shown &= permitted
    docs, scores = _combine(per_word, shown)
    best = top_docs(docs, scores, limit)
    chosen = scores[np.searchsorted(docs, best)].tolist()
    return make_hits(searcher, best, chosen, _terms_of(per_word, best), cache)


# An alternative whose postings outnumber a tenth of the documents updates the word's best scores in two
# plain passes over them (a maximum and a fill: 53 us at 75,000 documents) rather than at each posting (a
# gather, a ufunc.at and a scatter: 8.4 ns a posting, so 80,000 postings took 680 us).
DENSE_SHARE = 10


@dataclass(slots=True)
class _WordMatch:
    """One typed word's best alternative score in every document it matches, and its leaves' postings."""

    best: np.ndarray  # per document number: the best alternative's score (``low`` where none matched)
    matched: np.ndarray  # per document number: some alternative matched it (deleted documents included)
    low: float  # what ``best`` holds where no alternative matched
    found: list[tuple[Query, int, np.ndarray, np.ndarray]]  # (leaf, its alternative's rank, documents, scores)

    def contribution(self) -> np.ndarray:
        """``best``, 0 where nothing matched: what the word adds to each document's total."""
        return self.best if self.low == 0.0 else np.where(self.matched, self.best, 0.0)


def _best_alternative(
    word: TypedWord, summed: np.ndarray, arrays: Callable[[Query], tuple[np.ndarray, np.ndarray]]
) -> _WordMatch:
    """Each document's best-scoring alternative of one typed word, its score the sum of that alternative's
    leaves in their order (as a Whoosh union adds them).

    Each alternative's sums are made in one array (``np.add.at``: half the time of ``a[docs] += scores``),
    then the best of the alternatives is kept per document. Scores are positive (BM25F's idf is above 0.3
    even for a term in every document, and a posting's weight is its frequency), so a document no alternative
    matched can hold 0 and a large alternative can be merged by a plain maximum; a leaf scoring 0 or less
    would send the word through the per-posting path alone, from -inf. ``summed``: zeros as long as the index,
    left zero."""
    found: list[tuple[Query, int, np.ndarray, np.ndarray]] = []
    for rank, option in zip(range(len(word), 0, -1), word, strict=True):
        found.extend((leaf, rank, d, s) for leaf in leaves(option) for d, s in [arrays(leaf)] if len(d))
    low = 0.0 if all(scores.min() > 0 for _l, _r, _d, scores in found) else -np.inf
    count = len(summed)
    best = np.full(count, low)
    for first, last in _runs([rank for _l, rank, _d, _s in found]):
        group = [(docs, scores) for _l, _r, docs, scores in found[first:last]]
        for docs, scores in group:
            np.add.at(summed, docs, scores)
        if low == 0.0 and sum(len(docs) for docs, _s in group) * DENSE_SHARE > count:
            np.maximum(best, summed, out=best)
            summed.fill(0.0)
            continue
        for docs, _s in group:  # a document two leaves matched is taken twice: the same sum
            np.maximum.at(best, docs, summed.take(docs))
        for docs, _s in group:
            summed[docs] = 0.0
    matched = best > low
    return _WordMatch(best, matched, low, found)


def _runs(values: list[int]) -> list[tuple[int, int]]:
    """(first, end) of each run of equal neighbours in ``values``."""
    cuts = [i for i in range(1, len(values)) if values[i] != values[i - 1]]
    return list(itertools.pairwise([0, *cuts, len(values)])) if values else []


def _combine(per_word: list[_WordMatch], shown: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``shown`` documents any word matched (ascending) and their scores: the words' best scores summed in
    order, times the share of the words matched, times ``ALL_WORDS_FACTOR`` when that share is all of them."""
    total = np.zeros(len(shown), dtype=np.float64)
    matched = np.zeros(len(shown), dtype=np.int64)
    for word in per_word:
        total += word.contribution()  # x + 0.0 is x: the same sums as adding only where the word matched
        matched += word.matched
    # Masks through flatnonzero and take, never ``a[mask]``: 4 times faster on these arrays (numpy 2.4).
    docs = np.flatnonzero(shown & (matched != 0))
    share = matched.take(docs)
    n = len(per_word)
    lift = np.where(share == n, ALL_WORDS_FACTOR, 1.0) if n > 1 else np.ones(len(docs))
    combined: np.ndarray = total.take(docs) * ((share / n) * lift)
    return docs, combined


def _terms_of(per_word: list[_WordMatch], docnums: list[int]) -> dict[int, set[tuple[str, bytes]]]:
    """The terms each of ``docnums`` matched: those of the leaves of each word's winning alternative there,
    the first alternative (highest rank) whose sum reaches the document's best score."""
    out: dict[int, set[tuple[str, bytes]]] = {d: set() for d in docnums}
    if not docnums:
        return out
    wanted = np.sort(np.array(docnums, dtype=np.int64))
    mask = np.zeros(len(per_word[0].best), dtype=bool)
    mask[wanted] = True
    for word in per_word:
        if not word.found:
            continue
        postings = np.concatenate([docs for _l, _r, docs, _s in word.found])
        at = np.flatnonzero(mask.take(postings))
        leaf = np.searchsorted(np.cumsum([len(docs) for _l, _r, docs, _s in word.found]), at, side="right")
        docs, row = postings.take(at), np.searchsorted(wanted, postings.take(at))
        rank = np.array([r for _l, r, _d, _s in word.found], dtype=np.int64).take(leaf)
        scores = np.concatenate([s for _l, _r, _d, s in word.found]).take(at)
        sums = np.zeros((len(wanted), int(rank.max(initial=0)) + 1))
        np.add.at(sums, (row, rank), scores)  # each alternative's sum, leaf by leaf as in _best_alternative
        reaching = sums[row, rank] == word.best.take(docs)
        winner = np.zeros(len(wanted), dtype=np.int64)
        np.maximum.at(winner, row[reaching], rank[reaching])
        won = reaching & (rank == winner.take(row))
        terms: dict[int, Terms] = {}
        for doc, i in zip(docs[won].tolist(), leaf[won].tolist(), strict=True):
            if i not in terms:
                terms[i] = leaf_terms(word.found[i][0])
            out[doc].update(terms[i])
    return out
