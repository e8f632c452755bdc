"""Typed search: what an associate types into the search box, a few words, the last perhaps half-typed.

Each word is its own OR-query (its fields, synonyms, completions, codes, ids), scored like a case's terms
(``collect.score_query``); documents that match every word come first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import numpy as np
from whoosh.query import Query, Term
from whoosh.searching import Searcher

from kbassist.search.collect import CaseHit, Scored, ScoringCache, best_docs, hits_for, score_query
from kbassist.search.queries import CODE_BOOST, flat_or, term_query
from kbassist.search.synonyms import Synonyms
from kbassist.search.text import INDEX_STOP_WORDS, is_stop, stem, tokenize

QUERY_SYNONYM_FACTOR = 0.6  # for typed queries: two or three words, synonyms matter most here
COMPLETIONS = 3  # words the KB knows that a half-typed last word may become, most common first
ALL_WORDS_FACTOR = 3.0  # a typed query's documents that match every word rank above those matching some


def search_word_queries(
    text: str, synonyms: Synonyms, complete: Callable[[str], Sequence[str]] | None = None
) -> list[Query]:
    """A typed query, one OR-query per word (its fields, synonyms, codes, ids).

    The last word may be half-typed: `complete` offers the KB's words it may become ("schedu" ->
    "schedule"), each searched as if typed in full. `collect_words` combines the words so that documents
    matching every word come first.
    """
    words = [w for w in tokenize(text) if w not in INDEX_STOP_WORDS]
    clauses: list[Query] = []
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
        clause = flat_or(options)
        if clause is not None:
            clauses.append(clause)
    return clauses


def completions(searcher: Searcher, prefix: str, limit: int = COMPLETIONS) -> list[str]:
    """The KB's most common words that start with `prefix` (the word itself excluded)."""
    reader = searcher.reader()
    found = [
        (reader.doc_frequency("spell", word), word)
        for raw in reader.expand_prefix("spell", prefix)
        if (word := raw.decode("utf-8") if isinstance(raw, bytes) else raw) != prefix
    ]
    return [word for _df, word in sorted(found, key=lambda f: (-f[0], f[1]))[:limit]]


def collect_words(
    searcher: Searcher,
    words: Sequence[Query],
    limit: int,
    cache: ScoringCache | None = None,
    allowed: Collection[int] | None = None,
) -> list[CaseHit]:
    """The best documents for a typed query of one OR-query per word.

    A document scores the sum of its word scores, scaled by the share of the words it matches, and lifted
    again when it matches them all: "refund late" puts articles about late refunds above every article
    that merely says "refund" often.
    """
    per_word = [score_query(searcher, word, cache) for word in words]
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
