"""The two baselines every evaluation runs on the same index in the same run, so KB Assist's lead is measured.

Plain BM25 is what a naive integration would do: the whole case as one OR query over the text fields,
Whoosh's default BM25F, no key terms, synonyms, codes or product evidence. The embedding model alone is
the case's first 128 word pieces against every document's vector.
"""

from __future__ import annotations

from dataclasses import dataclass

from whoosh.query import Or, Query, Term

from kbassist.content.model import ItemKind
from kbassist.search.dense import DenseScores, Embedder, build_table
from kbassist.search.engine import SearchEngine
from kbassist.search.text import ANALYZER

BASELINE_FIELDS = ("title", "headings", "body", "tags")


@dataclass(slots=True)
class Ranking:
    """One system's results for one case and kind: ids and their products, best first."""

    ids: list[str]
    products: list[str]


def baseline_query(text: str) -> Query | None:
    terms = {t.text for t in ANALYZER(text)}
    if not terms:
        return None
    return Or([Term(f, t) for t in sorted(terms) for f in BASELINE_FIELDS])


def baseline_rank(engine: SearchEngine, text: str, kind: str, limit: int = 10) -> list[tuple[str, str]]:
    query = baseline_query(text)
    if query is None:
        return []
    with engine.index.searcher() as searcher:
        return [(h["id"], h["product"]) for h in searcher.search(query, filter=Term("kind", kind), limit=limit)]


class DenseBaseline:
    """The embedding model alone: the case's first 128 word pieces against every document's vector."""

    def __init__(self, engine: SearchEngine) -> None:
        self.embedder = Embedder()
        with engine.index.searcher() as searcher:
            stored = list(searcher.all_stored_fields())
        self.table = build_table(stored, self.embedder)

    def rank(self, text: str) -> dict[str, Ranking]:
        scores = DenseScores(self.table, self.table.similarities(self.embedder.embed([text])[0]))
        out: dict[str, Ranking] = {}
        for kind in ItemKind:
            hits = scores.ranked(kind)[:10]
            out[kind] = Ranking([h.id for h in hits], [h.product for h in hits])
        return out
