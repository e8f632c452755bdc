"""Score a flat OR of many weighted term and phrase queries, recording which terms each document matched.

A case query is a union of a few hundred leaves (key terms × fields × synonyms). Whoosh evaluates a union
as a binary tree of matchers and, when matched terms are wanted, walks that tree for every candidate
document, so the cost grows with documents × leaves. Summing each leaf's postings into a table instead
costs one pass over the postings, and gives the same BM25F sums Whoosh's union would (a union's score is
the sum of its children's), with the matched terms for free. Each leaf's postings come from
``whoosh_postings.py``, the one place that reads Whoosh's matcher internals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from whoosh.query import Or, Phrase, Query, Term
from whoosh.searching import SearchContext, Searcher

from kbassist.search.whoosh_postings import scored_postings


@dataclass(slots=True)
class CaseHit:
    docnum: int
    score: float = 0.0
    terms: set[tuple[str, bytes]] = field(default_factory=set)
    fields: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def matched_terms(self) -> set[tuple[str, bytes]]:
        return self.terms


def leaves(query: Query) -> list[Query]:
    """The leaves of a tree of plain (unboosted, unscaled) ORs: what the table sums."""
    if isinstance(query, Or) and query.boost == 1.0 and not query.scale and not query.minmatch:
        return [leaf for sub in query.subqueries for leaf in leaves(sub)]
    return [query]


def _leaf_terms(query: Query) -> list[tuple[str, bytes]]:
    if isinstance(query, Term):
        return [(query.fieldname, _as_bytes(query.text))]
    if isinstance(query, Phrase):
        return [(query.fieldname, _as_bytes(word)) for word in query.words]
    return [(f, _as_bytes(t)) for f, t in query.iter_all_terms()]


def _as_bytes(text: Any) -> bytes:
    return text if isinstance(text, bytes) else str(text).encode("utf-8")


def field_lengths(searcher: Searcher) -> dict[str, list[int]]:
    """Each scored field's length per document, as BM25F sees it (Whoosh stores it as one lossy byte).

    Looking a length up through Whoosh costs about a third of a case query on a large KB; the table is
    built once per index commit (`KbIndex.derived`).
    """
    count = searcher.doc_count_all()
    reader = searcher.reader()
    return {
        name: [reader.doc_field_length(d, name, 1) for d in range(count)]
        for name, fieldtype in searcher.schema.items()
        if fieldtype.scorable
    }


@dataclass(slots=True)
class ScoringCache:
    """What scoring reuses between queries until the next commit (`KbIndex.derived` builds one per commit)."""

    lengths: dict[str, list[int]]
    # (field, words, slop) -> [(docnum, score at boost 1)]: phrases come from the synonym list, so the same few
    # hundred recur in every case, and matching one costs Whoosh a positions check in every document.
    phrases: dict[tuple[str, tuple[str, ...], int], list[tuple[int, float]]] = field(default_factory=dict)
    stored: int = 0  # postings held in `phrases`
    max_stored: int = 500_000  # a bound on memory (15,000 documents, 173 cases: 555 phrases, 38,553 postings)


def scoring_cache(searcher: Searcher) -> ScoringCache:
    return ScoringCache(field_lengths(searcher))


def score_table(searcher: Searcher, query: Query, cache: ScoringCache | None = None) -> dict[int, CaseHit]:
    """Every document `query` matches, with its summed score and the terms it matched."""
    context = searcher.context(needs_current=False)
    table: dict[int, CaseHit] = {}
    for leaf in leaves(query):
        terms = _leaf_terms(leaf)
        for docnum, score in _leaf_postings(searcher, leaf, context, cache):
            hit = table.get(docnum)
            if hit is None:
                hit = table[docnum] = CaseHit(docnum)
            hit.score += score
            hit.terms.update(terms)
    return table


def _leaf_postings(
    searcher: Searcher, leaf: Query, context: SearchContext, cache: ScoringCache | None
) -> Iterator[tuple[int, float]]:
    if cache is not None and type(leaf) is Phrase:
        key = (leaf.fieldname, tuple(leaf.words), leaf.slop)
        base = cache.phrases.get(key)
        if base is None:
            unit = Phrase(leaf.fieldname, list(leaf.words), slop=leaf.slop)
            base = [
                (local + offset, score)
                for sub, offset in searcher.leaf_searchers()
                for local, score in scored_postings(unit.matcher(sub, context))
            ]
            if cache.stored + len(base) <= cache.max_stored:
                cache.phrases[key] = base
                cache.stored += len(base)
        for docnum, score in base:
            yield docnum, score * leaf.boost
        return
    field_length = cache.lengths.get(leaf.fieldname) if cache and isinstance(leaf, Term) else None
    for sub, offset in searcher.leaf_searchers():
        for local, score in scored_postings(leaf.matcher(sub, context), field_length, offset):
            yield local + offset, score


def best_hits(searcher: Searcher, hits: Iterable[CaseHit], limit: int) -> list[CaseHit]:
    """The ``limit`` best hits, best first (ties by document order, as Whoosh does), with their stored fields."""
    best = sorted(hits, key=lambda h: (-h.score, h.docnum))[:limit]
    for hit in best:
        hit.fields = searcher.stored_fields(hit.docnum)
    return best


def collect(searcher: Searcher, query: Query, limit: int, cache: ScoringCache | None = None) -> list[CaseHit]:
    """The `limit` best documents for `query`, best first (ties by document order, as Whoosh does)."""
    return best_hits(searcher, score_table(searcher, query, cache).values(), limit)
