"""Rank articles and macros for an analysed case.

The case's query (``case_query.py``: key terms, synonyms, codes, ID prefixes) is scored over the index
(``collect.py``) and fused with the case's embedding similarity (``hybrid.py``); the products the case's IDs
and codes name, and the product the candidates agree on, lift matching articles. Macros are ranked by their
own text and by the articles they rely on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from whoosh.searching import Searcher

from kbassist.content.model import ItemKind
from kbassist.content.stripe import ALL_CODES, GENERIC_CODES
from kbassist.search.briefs import ARTICLES, Briefs
from kbassist.search.case import CaseAnalysis
from kbassist.search.case_query import KeySurfaces, KeyTerm, build_case_query, key_terms
from kbassist.search.collect import CaseHit, ScoringCache, collect
from kbassist.search.dense import DenseHit, DenseScores
from kbassist.search.evidence import CodesMatched, Evidence, MatchedTerms, ProductNamed, ReliesOn, explain
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
    kind: ItemKind
    title: str
    product: str
    score: float
    coverage: float = 0.0  # share of the case's key-term weight this item matched
    evidence: list[Evidence] = field(default_factory=list)  # what the item rests on, in the order found
    lexical: float = 0.0  # BM25F score of the case query (before fusion and lifts)
    similarity: float = 0.0  # cosine similarity of the case and the item's embeddings

    @property
    def matched(self) -> list[str]:
        """Surfaces of the key terms that matched."""
        return next((list(e.surfaces) for e in self.evidence if isinstance(e, MatchedTerms)), [])

    def rests_on(self, kind: type[Evidence]) -> bool:
        return any(isinstance(e, kind) for e in self.evidence)

    @property
    def why(self) -> str:
        return explain(self.evidence)


@dataclass(frozen=True, slots=True)
class RankingContext:
    """What ranking reads besides the case: the open searcher, and what the engine keeps per index commit."""

    searcher: Searcher
    synonyms: Synonyms
    speller: Speller | None = None  # None: words the KB does not know are not corrected
    reliance: Mapping[str, list[MacroRef]] | None = None  # None: read from the index (`macro_reliance`)
    cache: ScoringCache | None = None


@dataclass(frozen=True, slots=True)
class _CaseFacts:
    """What the case says that ranking reads: its key terms, codes, ID prefixes and the products they name."""

    keys: list[KeyTerm]
    codes: list[str]
    prefixes: list[str]
    products: list[str]
    id_products: dict[str, str]  # product -> the ID prefix that names it
    code_products: dict[str, str]  # product -> the (specific) code that names it
    weight_of: dict[str, float]  # key term surface -> weight
    surfaces: KeySurfaces  # which key terms a document matched

    def named_by(self, product: str) -> str | None:
        return self.id_products.get(product) or self.code_products.get(product)

    def coverage(self, matched: list[str]) -> float:
        return sum(self.weight_of[m] for m in matched) / (sum(self.weight_of.values()) or 1.0)


def rank_case(
    context: RankingContext,
    case: CaseAnalysis,
    dense: DenseScores | Callable[[], DenseScores | None] | None = None,
    article_limit: int = 10,
    macro_limit: int = 5,
) -> tuple[list[Ranked], list[Ranked], list[KeyTerm]]:
    """``dense`` may be a callable: it is called only when the lexical candidates are ready, so the case's
    embedding can be computed meanwhile on another core."""
    facts = _case_facts(context, case)
    query = build_case_query(facts.keys, facts.codes, facts.prefixes, context.synonyms)
    if query is None and dense is None:
        return [], [], facts.keys
    hits = collect(context.searcher, query, 2 * CANDIDATES, context.cache) if query is not None else []
    scores = dense() if callable(dense) else dense
    articles = _rank_articles(hits, facts, scores)
    macros = _rank_macros(hits, articles, facts, context, scores)
    return articles[:article_limit], macros[:macro_limit], facts.keys


def _case_facts(context: RankingContext, case: CaseAnalysis) -> _CaseFacts:
    # The speller knows the KB's English: on a German or Spanish case it would turn "nicht" into "night".
    speller = context.speller if case.language.is_english else None
    table = context.cache.table if context.cache is not None else None
    keys = key_terms(table if table is not None else context.searcher, case.terms, context.synonyms, speller)
    codes = list(case.entities.codes)
    return _CaseFacts(
        keys=keys,
        codes=codes,
        prefixes=list(dict.fromkeys(f.prefix for f in case.entities.ids)),
        products=case.products,
        id_products={f.product: f.prefix for f in case.entities.ids},
        code_products={ALL_CODES[c]: c for c in codes if c in ALL_CODES and c not in GENERIC_CODES},
        weight_of={k.surface: k.weight for k in keys},
        surfaces=KeySurfaces(keys, context.synonyms),
    )


def _candidate(hit: CaseHit, facts: _CaseFacts) -> Ranked:
    ranked = Ranked(hit["id"], ItemKind(hit["kind"]), hit["title"], hit["product"], hit.score)
    matched = facts.surfaces.matched(hit.matched_terms())
    if matched:
        ranked.evidence.append(MatchedTerms(tuple(matched)))
    return ranked


def _rank_articles(hits: list[CaseHit], facts: _CaseFacts, dense: DenseScores | None) -> list[Ranked]:
    """Articles by their words and meaning, lifted when the case names their product and by the product vote."""
    articles: dict[str, Ranked] = {}
    for hit in hits:
        if hit["kind"] != ItemKind.ARTICLE:
            continue
        ranked = _candidate(hit, facts)
        ranked.coverage = facts.coverage(ranked.matched)
        code_hits = tuple(c for c in facts.codes if ("codes", c.encode()) in hit.matched_terms())
        if code_hits:
            ranked.evidence.append(CodesMatched(code_hits))
        articles[ranked.id] = ranked
    if dense is not None:
        fuse(articles, dense.ranked(ItemKind.ARTICLE), _from_dense)
    for ranked in articles.values():
        if ranked.product in facts.products:
            ranked.score *= 1 + PRODUCT_LIFT
            ranked.evidence.append(ProductNamed(ranked.product, facts.named_by(ranked.product)))
    _lift_leading_product(articles)
    return sorted(articles.values(), key=lambda r: (-r.score, r.id))


def _rank_macros(
    hits: list[CaseHit],
    articles: list[Ranked],
    facts: _CaseFacts,
    context: RankingContext,
    dense: DenseScores | None,
) -> list[Ranked]:
    """Macros by their own words and meaning, and by the best ranked article each relies on."""
    macros = {hit["id"]: _candidate(hit, facts) for hit in hits if hit["kind"] == ItemKind.MACRO}
    if dense is not None:
        fuse(macros, dense.ranked(ItemKind.MACRO), _from_dense)
    # Macros that rely on a strong article are good replies even when their own words differ.
    reliance = context.reliance
    if reliance is None:
        reliance = macro_reliance(context.searcher.documents(kind=ItemKind.MACRO.value))
    for art in articles:  # best first: a macro borrows from the best article it relies on
        for ref in reliance.get(art.id, ()):
            macro = macros.get(ref.id) or Ranked(ref.id, ItemKind.MACRO, ref.title, ref.product, 0.0)
            if not macro.rests_on(ReliesOn):
                macro.score += MACRO_ARTICLE_SHARE * art.score
                macro.evidence.append(ReliesOn(art.id, art.title))
            macros[macro.id] = macro
    for macro in macros.values():
        if macro.product in facts.products and not macro.rests_on(ProductNamed):
            macro.score *= 1 + PRODUCT_LIFT / 2
            macro.evidence.append(ProductNamed(macro.product))
    return sorted(macros.values(), key=lambda r: (-r.score, r.id))


def _from_dense(hit: DenseHit) -> Ranked:
    return Ranked(hit.id, hit.kind, hit.title, hit.product, 0.0)


@dataclass(frozen=True, slots=True)
class MacroRef:
    id: str
    title: str
    product: str


def macro_reliance(documents: Iterable[Mapping[str, Any]]) -> dict[str, list[MacroRef]]:
    """For each article id, the macros (among ``documents``: stored fields or records) that rely on it."""
    return reliance_of(relied_on(fields) for fields in documents)


def relied_on(fields: Mapping[str, Any] | None) -> list[tuple[str, MacroRef]] | None:
    """The articles one document relies on, each with the document's ``MacroRef``; None unless a macro."""
    if fields is None or fields["kind"] != ItemKind.MACRO:
        return None
    ref = MacroRef(fields["id"], fields["title"], fields["product"])
    return [(article_id, ref) for article_id in fields["meta"].get("articles", ())] or None


def filed_reliance(briefs: Briefs) -> dict[str, list[tuple[int, MacroRef]]]:
    """One segment's macros filed by the articles they rely on, read from its briefs' columns: what
    ``records.filed`` makes of each brief's ``relied_on``, without making the 5,000 macros' briefs of the
    10,000-article bench KB as dicts (a fresh process's first case took 40-50 ms for it over 12 segments; the
    same filing, equal by the test, from the columns)."""
    ids, kinds, titles, products = (briefs.column(name) for name in ("id", "kind", "title", "product"))
    out: dict[str, list[tuple[int, MacroRef]]] = {}
    for doc, articles in enumerate(briefs.column(ARTICLES)):
        if articles and ids[doc] is not None and kinds[doc] == ItemKind.MACRO:
            ref = MacroRef(ids[doc], titles[doc], products[doc])
            for article_id in articles:
                out.setdefault(article_id, []).append((doc, ref))
    return out


def reliance_of(documents: Iterable[list[tuple[str, MacroRef]] | None]) -> dict[str, list[MacroRef]]:
    """``macro_reliance`` from each document's ``relied_on``, in document order (the engine files each
    segment's instead: ``records.LiveLookup``)."""
    relying: dict[str, list[MacroRef]] = {}
    for pairs in documents:
        for article_id, ref in pairs or ():
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
