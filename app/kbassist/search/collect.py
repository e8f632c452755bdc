"""Score a flat OR of many weighted term and phrase queries, recording which terms each document matched.

A case query is a union of a few hundred leaves (key terms × fields × synonyms). Whoosh evaluates a union
as a binary tree of matchers and, when matched terms are wanted, walks that tree for every candidate
document, so the cost grows with documents × leaves. Summing each leaf's postings into an array instead
costs one pass over the postings, and gives the same BM25F sums Whoosh's union would (a union's score is
the sum of its children's), with the matched terms for free.

Each leaf's postings come from the commit's scoring table (``scoring_table.py``: numpy arrays over every
segment, a few array operations a leaf) or, while that table is still being read after a full build, from
Whoosh's matchers (``whoosh_postings.py``, the one place that reads Whoosh's internals). Both give the same
floats, added in the same order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from whoosh.query import Or, Phrase, Query, Term
from whoosh.searching import SearchContext, Searcher

from kbassist.search.phrase_docs import PhraseDocs
from kbassist.search.scoring_table import ScoringTable
from kbassist.search.whoosh_postings import scored_postings

Terms = list[tuple[str, bytes]]


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


def leaf_terms(query: Query) -> Terms:
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
    built once per index commit (`KbIndex.derived`). Only the matcher path (no scoring table yet) uses it.
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

    lengths: dict[str, list[int]] | None = None  # for the matcher path; built on its first use
    table: ScoringTable | None = None  # the commit's scoring table, when every segment's arrays are at hand
    phrase_docs: PhraseDocs | None = None  # documents each phrase matches, per segment (kept across commits)
    records: Sequence[dict[str, Any] | None] | None = None  # each document's record (records.py): what a hit shows
    # (field, words, slop) -> [(docnum, score at boost 1)]: phrases come from the synonym list, so the same few
    # hundred recur in every case, and matching one costs Whoosh a positions check in every document.
    phrases: dict[tuple[str, tuple[str, ...], int], list[tuple[int, float]]] = field(default_factory=dict)
    stored: int = 0  # postings held in `phrases`
    max_stored: int = 500_000  # a bound on memory (15,000 documents, 173 cases: 555 phrases, 38,553 postings)


def scoring_cache(searcher: Searcher) -> ScoringCache:
    """A cache for the matcher path alone (no scoring table): what tests compare the table with."""
    return ScoringCache(field_lengths(searcher))


@dataclass(slots=True)
class Scored:
    """A query's score for every document of the index, which documents it matched, and by which leaves."""

    total: np.ndarray  # float64 per document number
    matched: np.ndarray  # bool per document number; deleted documents never count as matched
    by_leaf: list[tuple[Query, np.ndarray]]  # each leaf and the documents it matched
    docs: np.ndarray | None = None  # by_leaf's documents one after another, when already concatenated

    def terms_of(self, docnums: Sequence[int]) -> dict[int, set[tuple[str, bytes]]]:
        """The terms each of ``docnums`` matched (only these: recording them for every document costs more
        than the scoring). The leaves' documents are read as one array: a numpy call per leaf, for a case's 220
        leaves, had been a sixth of a suggestion at 10,000 articles."""
        out: dict[int, set[tuple[str, bytes]]] = {d: set() for d in docnums}
        if not self.by_leaf:
            return out
        wanted = np.zeros(len(self.total), dtype=bool)
        wanted[list(docnums)] = True
        docs = self.docs if self.docs is not None else np.concatenate([leaf_docs for _leaf, leaf_docs in self.by_leaf])
        owner = np.repeat(np.arange(len(self.by_leaf)), [len(leaf_docs) for _leaf, leaf_docs in self.by_leaf])
        hit = np.flatnonzero(wanted[docs])
        hit = hit[np.argsort(docs[hit], kind="stable")]  # grouped by document, leaves in query order
        hit_docs, hit_owners = docs[hit], owner[hit].tolist()
        terms = {index: leaf_terms(self.by_leaf[index][0]) for index in set(hit_owners)}
        firsts, starts = np.unique(hit_docs, return_index=True)
        for doc, start, end in zip(firsts.tolist(), starts.tolist(), [*starts.tolist()[1:], len(hit)], strict=True):
            out[doc] = set(chain.from_iterable(terms[index] for index in hit_owners[start:end]))
        return out


def score_query(searcher: Searcher, query: Query, cache: ScoringCache | None = None) -> Scored:
    """Every document ``query`` matches, with its summed score (leaf by leaf, in the query's order).

    The leaves' postings are summed in one ``bincount`` over their concatenation, which adds each document's
    scores in the same order as adding leaf after leaf (the same floats): two numpy calls per leaf had been a
    fifth of a suggestion at 10,000 articles. Each leaf's boost is applied the same way, once over all the
    postings (the same products as leaf by leaf, without an array made per leaf). Every leaf scores each
    document it holds above zero when its boost is (BM25F's idf and a posting's weight are positive): the
    documents matched are then those scored, read from the totals instead of from every posting."""
    table = cache.table if cache is not None else None
    count = table.doc_count_all if table is not None else searcher.doc_count_all()
    by_leaf: list[tuple[Query, np.ndarray]] = []
    all_scores: list[np.ndarray] = []
    boosts: list[float] = []
    positive = True  # every leaf's boost above zero
    context = searcher.context(needs_current=False)
    for leaf in leaves(query):
        docs, scores, boost = _unboosted(searcher, leaf, context, cache)
        if len(docs):
            by_leaf.append((leaf, docs))
            all_scores.append(scores)
            boosts.append(boost)
            positive = positive and leaf.boost > 0
    if not by_leaf:
        return Scored(np.zeros(count, dtype=np.float64), np.zeros(count, dtype=bool), by_leaf)
    docs = np.concatenate([leaf_docs for _leaf, leaf_docs in by_leaf])
    weights = np.concatenate(all_scores)
    weights *= np.repeat(np.array(boosts), [len(leaf_docs) for _leaf, leaf_docs in by_leaf])
    total = np.bincount(docs, weights=weights, minlength=count)
    if positive:
        matched = total > 0
    else:
        matched = np.zeros(count, dtype=bool)
        matched[docs] = True
    if table is not None:
        matched &= table.live
    return Scored(total, matched, by_leaf, docs)


def leaf_arrays(
    searcher: Searcher, leaf: Query, context: SearchContext, cache: ScoringCache | None
) -> tuple[np.ndarray, np.ndarray]:
    """One leaf's (documents, scores): ascending document numbers, each once, deleted ones included when
    they come from the table (``ScoringTable.live`` tells them apart; Whoosh's matchers skip them)."""
    docs, scores, boost = _unboosted(searcher, leaf, context, cache)
    return docs, scores if boost == 1.0 else scores * boost


def _unboosted(
    searcher: Searcher, leaf: Query, context: SearchContext, cache: ScoringCache | None
) -> tuple[np.ndarray, np.ndarray, float]:
    """``leaf_arrays`` with the scores at boost 1 and the boost to multiply them by; the table's own arrays
    (not to be written to). Whoosh's matchers give scores with the boost in them (then 1)."""
    table = cache.table if cache is not None else None
    if table is not None and type(leaf) in (Term, Phrase):
        return (*_table_leaf(searcher, table, leaf, cache), float(leaf.boost))
    return (*_arrays(_leaf_postings(searcher, leaf, context, cache)), 1.0)


def _table_leaf(
    searcher: Searcher, table: ScoringTable, leaf: Query, cache: ScoringCache | None
) -> tuple[np.ndarray, np.ndarray]:
    """A leaf's (documents, scores at boost 1) from the table."""
    if type(leaf) is Term:
        return table.term(leaf.fieldname, _as_bytes(leaf.text))
    words = [_as_bytes(w) for w in leaf.words]
    phrase_docs = cache.phrase_docs if cache is not None and cache.phrase_docs is not None else PhraseDocs()
    return table.phrase(
        leaf.fieldname, words, leaf.slop, lambda: phrase_docs.docs(searcher, table, leaf.fieldname, words, leaf.slop)
    )


def _arrays(postings: Iterator[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    pairs = list(postings)
    docs = np.fromiter((d for d, _s in pairs), dtype=np.int64, count=len(pairs))
    return docs, np.fromiter((s for _d, s in pairs), dtype=np.float64, count=len(pairs))


def _leaf_postings(
    searcher: Searcher, leaf: Query, context: SearchContext, cache: ScoringCache | None
) -> Iterator[tuple[int, float]]:
    """A leaf's (document, score) through Whoosh's matchers, segment by segment."""
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
    if cache is not None and cache.lengths is None:
        cache.lengths = field_lengths(searcher)
    field_length = cache.lengths.get(leaf.fieldname) if cache and cache.lengths and isinstance(leaf, Term) else None
    for sub, offset in searcher.leaf_searchers():
        for local, score in scored_postings(leaf.matcher(sub, context), field_length, offset):
            yield local + offset, score


def best_docs(total: np.ndarray, matched: np.ndarray, limit: int) -> list[int]:
    """The ``limit`` best matched documents, best first, ties by document number (as Whoosh orders them)."""
    candidates = np.flatnonzero(matched)
    return top_docs(candidates, total[candidates], limit)


def top_docs(candidates: np.ndarray, scores: np.ndarray, limit: int) -> list[int]:
    """The ``limit`` best of ``candidates`` (document numbers) by ``scores``, best first, ties by document
    number."""
    if len(candidates) > 4 * limit > 0:  # keep the top scores and their ties, then sort only those
        cut = -np.partition(-scores, limit - 1)[limit - 1]
        keep = scores >= cut
        candidates, scores = candidates[keep], scores[keep]
    order = np.lexsort((candidates, -scores))[:limit]
    best: list[int] = candidates[order].tolist()
    return best


def hits_for(
    searcher: Searcher, scored: Scored, docnums: list[int], cache: ScoringCache | None = None
) -> list[CaseHit]:
    """``docnums`` as hits with their score, the terms they matched and their fields: the document's record
    when the cache has the commit's records (a stored document is read whole, Markdown included)."""
    return make_hits(searcher, docnums, scored.total[docnums].tolist(), scored.terms_of(docnums), cache)


def make_hits(
    searcher: Searcher,
    docnums: list[int],
    scores: list[float],
    terms: dict[int, set[tuple[str, bytes]]],
    cache: ScoringCache | None,
) -> list[CaseHit]:
    """Hits of ``docnums`` with their ``scores`` (in the same order) and ``terms``."""
    records = cache.records if cache is not None else None
    return [
        CaseHit(d, score, terms[d], (records[d] if records else None) or searcher.stored_fields(d))
        for d, score in zip(docnums, scores, strict=True)
    ]


def collect(searcher: Searcher, query: Query, limit: int, cache: ScoringCache | None = None) -> list[CaseHit]:
    """The `limit` best documents for `query`, best first (ties by document order, as Whoosh does)."""
    scored = score_query(searcher, query, cache)
    return hits_for(searcher, scored, best_docs(scored.total, scored.matched, limit), cache)
