"""Rank articles and macros for an analysed case.

The case's query (``case_query.py``: key terms, synonyms, codes, ID prefixes) is scored over the index
(``collect.py``) and fused with the case's embedding similarity (``hybrid.py``); the products the case's IDs
and codes name, and the product the candidates agree on, lift matching articles. Macros are ranked by their
own text and by the articles they rely on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from whoosh.searching import Searcher

from kbassist.content.stripe import ALL_CODES, GENERIC_CODES
from kbassist.search.case import CaseAnalysis
from kbassist.search.case_query import KeyTerm, build_case_query, key_terms, matched_surfaces
from kbassist.search.collect import ScoringCache, collect
from kbassist.search.dense import DenseHit, DenseScores
from kbassist.search.hybrid import fuse
from kbassist.search.spelling import Speller
from kbassist.search.synonyms import Synonyms

PRODUCT_LIFT = 0.35  # share added to an article's score when its product is named by the case's IDs/codes
MACRO_ARTICLE_SHARE = 0.8  # how much a macro borrows from the best article it relies on
CANDIDATES = 40
PRODUCT_VOTE_LIFT = 1.0  # how much the product the candidates agree on lifts its articles
PRODUCT_VOTE_DEPTH = 3


@dataclass(slots=True)
class Ranked:
    id: str
    kind: str
    title: str
    product: str
    score: float
    matched: list[str] = field(default_factory=list)  # surfaces of key terms that matched
    coverage: float = 0.0  # share of the case's key-term weight this item matched
    reasons: list[str] = field(default_factory=list)
    lexical: float = 0.0  # BM25F score of the case query (before fusion and lifts)
    similarity: float = 0.0  # cosine similarity of the case and the item's embeddings

    @property
    def why(self) -> str:
        parts = []
        if self.matched:
            parts.append("matched: " + ", ".join(self.matched[:6]))
        parts.extend(self.reasons)
        return "; ".join(parts) or "related content"


def rank_case(
    searcher: Searcher,
    case: CaseAnalysis,
    synonyms: Synonyms,
    speller: Speller | None = None,
    article_limit: int = 10,
    macro_limit: int = 5,
    reliance: Mapping[str, list[MacroRef]] | None = None,
    cache: ScoringCache | None = None,
    dense: DenseScores | Callable[[], DenseScores | None] | None = None,
) -> tuple[list[Ranked], list[Ranked], list[KeyTerm]]:
    """``dense`` may be a callable: it is called only when the lexical candidates are ready, so the case's
    embedding can be computed meanwhile on another core."""
    # The speller knows the KB's English: on a German or Spanish case it would turn "nicht" into "night".
    keys = key_terms(searcher, case.terms, synonyms, speller if case.language.is_english else None)
    codes = list(case.entities.codes)
    prefixes = list(dict.fromkeys(f.prefix for f in case.entities.ids))
    query = build_case_query(keys, codes, prefixes, synonyms)
    if query is None and dense is None:
        return [], [], keys
    weight_of = {k.surface: k.weight for k in keys}
    total_weight = sum(weight_of.values()) or 1.0
    products = case.products
    id_products = {f.product: f.prefix for f in case.entities.ids}
    code_products = {ALL_CODES[c]: c for c in codes if c in ALL_CODES and c not in GENERIC_CODES}

    hits = collect(searcher, query, 2 * CANDIDATES, cache) if query is not None else []
    if callable(dense):
        dense = dense()
    articles: dict[str, Ranked] = {}
    for hit in hits:
        if hit["kind"] != "article":
            continue
        ranked = Ranked(hit["id"], "article", hit["title"], hit["product"], hit.score)
        ranked.matched = matched_surfaces(hit.matched_terms(), keys, synonyms)
        ranked.coverage = sum(weight_of[m] for m in ranked.matched) / total_weight
        code_hits = [c for c in codes if ("codes", c.encode()) in hit.matched_terms()]
        if code_hits:
            ranked.reasons.append("code: " + ", ".join(code_hits))
        articles[ranked.id] = ranked
    if dense is not None:
        fuse(articles, dense.ranked("article"), _from_dense)
    for ranked in articles.values():
        if ranked.product in products:
            ranked.score *= 1 + PRODUCT_LIFT
            evidence = id_products.get(ranked.product) or code_products.get(ranked.product)
            ranked.reasons.append(f"product: {ranked.product}" + (f" (from {evidence})" if evidence else ""))
    _lift_leading_product(articles)
    article_list = sorted(articles.values(), key=lambda r: (-r.score, r.id))

    macros: dict[str, Ranked] = {}
    for hit in hits:
        if hit["kind"] != "macro":
            continue
        ranked = Ranked(hit["id"], "macro", hit["title"], hit["product"], hit.score)
        ranked.matched = matched_surfaces(hit.matched_terms(), keys, synonyms)
        macros[ranked.id] = ranked
    if dense is not None:
        fuse(macros, dense.ranked("macro"), _from_dense)
    # Macros that rely on a strong article are good replies even when their own words differ.
    if reliance is None:
        reliance = macro_reliance(searcher)
    for art in article_list:
        for ref in reliance.get(art.id, ()):
            macro = macros.get(ref.id) or Ranked(ref.id, "macro", ref.title, ref.product, 0.0)
            if not any(r.startswith("relies on") for r in macro.reasons):
                macro.score += MACRO_ARTICLE_SHARE * art.score
                macro.reasons.append(f"relies on: {art.title}")
            macros[macro.id] = macro
    for macro in macros.values():
        if macro.product in products and not any(r.startswith("product") for r in macro.reasons):
            macro.score *= 1 + PRODUCT_LIFT / 2
            macro.reasons.append(f"product: {macro.product}")
    macro_list = sorted(macros.values(), key=lambda r: (-r.score, r.id))
    return article_list[:article_limit], macro_list[:macro_limit], keys


def _from_dense(hit: DenseHit) -> Ranked:
    return Ranked(hit.id, hit.kind, hit.title, hit.product, 0.0)


@dataclass(frozen=True, slots=True)
class MacroRef:
    id: str
    title: str
    product: str


def macro_reliance(searcher: Searcher) -> dict[str, list[MacroRef]]:
    """For each article id, the macros that rely on it.

    Reading every macro's stored fields costs about as much as the search itself on a large KB, so the
    engine builds this once per index commit (`KbIndex.derived`) rather than per case.
    """
    relying: dict[str, list[MacroRef]] = {}
    for fields in searcher.documents(kind="macro"):
        ref = MacroRef(fields["id"], fields["title"], fields["product"])
        for article_id in fields["meta"].get("articles", ()):
            relying.setdefault(article_id, []).append(ref)
    return relying


def _lift_leading_product(articles: dict[str, Ranked]) -> None:
    """Lift articles of the product the candidates point to as a whole.

    A case that never names its product still tends to match several articles of that product
    moderately; summing each product's best scores finds it even when a stray article of another
    product matched one rare word strongly.
    """
    if PRODUCT_VOTE_LIFT <= 0 or not articles:
        return
    per_product: dict[str, list[float]] = {}
    for ranked in articles.values():
        per_product.setdefault(ranked.product, []).append(ranked.score)
    votes = {p: sum(sorted(scores, reverse=True)[:PRODUCT_VOTE_DEPTH]) for p, scores in per_product.items()}
    total = sum(votes.values()) or 1.0
    for ranked in articles.values():
        ranked.score *= 1 + PRODUCT_VOTE_LIFT * votes[ranked.product] / total
