"""Typed search: what an associate types into the search box, a few words, the last perhaps half-typed.

Each word is a set of alternatives (the word, its synonyms, its completions, a code, an id), each scored like a
case's terms (``collect.score_query``: numpy over every document); a word scores its best alternative, and
documents that match every word come first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import numpy as np
from whoosh.query import Query, Term
from whoosh.searching import Searcher

from kbassist.search.collect import CaseHit, Scored, ScoringCache, best_docs, hits_for, score_query
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
    """
    per_word = [_best_alternative(searcher, word, cache) for word in words]
    if not per_word:
        return []
    count = len(per_word[0].total)
    permitted = np.ones(count, dtype=bool)
    if allowed is not None:
        permitted[:] = False
        permitted[np.fromiter(allowed, dtype=np.int64, count=len(allowed))] = True
    total = np.zeros(count, dtype=np.float64)
    matched = np.zeros(count, dtype=np.int64)
    for scored in per_word:
        hit = scored.matched & permitted
        total[hit] += scored.total[hit]
        matched += hit
    n = len(words)
    lift = np.where(matched == n, ALL_WORDS_FACTOR, 1.0) if n > 1 else np.ones(count)
    total = total * ((matched / n) * lift)
    combined = Scored(total, matched > 0, [leaf for scored in per_word for leaf in scored.by_leaf])
    return hits_for(searcher, combined, best_docs(combined.total, combined.matched, limit), cache)


def _best_alternative(searcher: Searcher, word: TypedWord, cache: ScoringCache | None) -> Scored:
    """Each document's best-scoring alternative of one typed word (the first among equals), with the leaves of
    that alternative only: a hit's matched terms are those of the alternatives that won it."""
    options = [score_query(searcher, option, cache) for option in word]
    best = np.zeros(len(options[0].total), dtype=np.float64)
    found = np.zeros(len(best), dtype=bool)
    winner = np.full(len(best), -1, dtype=np.int64)
    for i, scored in enumerate(options):
        better = scored.matched & (~found | (scored.total > best))
        best[better] = scored.total[better]
        winner[better] = i
        found |= scored.matched
    by_leaf = [
        (leaf, kept)
        for i, scored in enumerate(options)
        for leaf, docs in scored.by_leaf
        if len(kept := docs[winner[docs] == i])
    ]
    return Scored(best, found, by_leaf)
