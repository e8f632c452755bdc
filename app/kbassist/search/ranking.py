"""Rank articles and macros for an analysed case, and for a typed query.

A case is never sent to Whoosh word for word: its key terms are chosen by weight × rarity, expanded
with synonyms, joined with the codes and ID prefixes it names, and the products those point to lift
matching articles. Macros are ranked by their own text and by the articles they rely on.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from whoosh.query import Or, Phrase, Query, Term
from whoosh.searching import Searcher

from kbassist.content.stripe import ALL_CODES, GENERIC_CODES
from kbassist.search.case import CaseAnalysis, WeightedTerm
from kbassist.search.collect import ScoringCache, collect
from kbassist.search.dense import DenseHit, DenseScores
from kbassist.search.hybrid import fuse
from kbassist.search.schema import FIELD_BOOSTS
from kbassist.search.spelling import Speller
from kbassist.search.synonyms import Synonyms
from kbassist.search.text import INDEX_STOP_WORDS, common_words, is_stop, stem, tokenize

MAX_KEY_TERMS = 40
IDF_EXPONENT = 0.5  # how much rarity counts when choosing key terms (BM25 already weighs it in scoring)
SYNONYM_FACTOR = 0.25  # for case terms: a long case already names most synonyms itself
QUERY_SYNONYM_FACTOR = 0.6  # for typed queries: two or three words, synonyms matter most here
CODE_BOOST = 4.0
PREFIX_BOOST = 1.5
PRODUCT_LIFT = 0.35  # share added to an article's score when its product is named by the case's IDs/codes
MACRO_ARTICLE_SHARE = 0.8  # how much a macro borrows from the best article it relies on
CANDIDATES = 40
PRODUCT_VOTE_LIFT = 1.0  # how much the product the candidates agree on lifts its articles
PRODUCT_VOTE_DEPTH = 3
MAX_TYPO_DISTANCE = 2  # edits allowed when correcting a word (of 6+ letters) the KB does not know
TYPO_FACTOR = 0.8
RARITY_FIELDS = ("title", "tags", "body")  # where a term's document frequency is counted


@dataclass(frozen=True, slots=True)
class KeyTerm:
    phrase: tuple[str, ...]  # one stem, or the stems of a synonym phrase: ("bank", "transfer")
    surface: str
    weight: float  # case weight × rarity in the KB

    @property
    def stem(self) -> str:
        """The phrase as one readable string ("bank transfer"): a sort key and a name, never split again."""
        return " ".join(self.phrase)


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


def _idf(searcher: Searcher, stems: tuple[str, ...]) -> float:
    n = max(searcher.doc_count(), 1)
    words = [s for s in stems if s not in INDEX_STOP_WORDS]
    df = max((searcher.doc_frequency(f, s) for f in RARITY_FIELDS for s in words), default=0)
    return math.log(1 + (n - df + 0.5) / (df + 0.5)) if df else 0.0


CALENDAR_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december".split()
)


def _correctable(word: str) -> bool:
    """A word worth spell-correcting: long enough, and not plain English the KB happens not to use."""
    return word.isalpha() and len(word) >= 4 and word not in CALENDAR_WORDS and word not in common_words()


def key_terms(
    searcher: Searcher, terms: list[WeightedTerm], synonyms: Synonyms, speller: Speller | None = None
) -> list[KeyTerm]:
    """The case's most telling terms: frequent in the case, known to the KB, misspellings corrected."""
    scored: list[KeyTerm] = []
    for original in terms:
        term = original
        phrase = term.phrase
        idf = _idf(searcher, phrase) if len(phrase) == 1 else 0.0
        for alt in synonyms.expand(phrase):
            if len(alt) == 1:
                idf = max(idf, _idf(searcher, alt) * SYNONYM_FACTOR)
        if len(phrase) > 1 and idf == 0.0:
            idf = 1.0  # a synonym phrase is a known topic even when all its alternatives are phrases
        if idf == 0.0 and speller and len(phrase) == 1 and _correctable(term.surface):
            # Unknown to the KB: a typo such as "refnd" or "payot" gets the KB's nearest word instead.
            guess = speller.correct(term.surface, min(MAX_TYPO_DISTANCE, 2 if len(term.surface) >= 6 else 1))
            if guess:
                fixed = stem(guess)
                idf = _idf(searcher, (fixed,))
                term = WeightedTerm((fixed,), guess, term.weight * TYPO_FACTOR)
        if idf > 0:
            scored.append(KeyTerm(term.phrase, term.surface, term.weight * idf**IDF_EXPONENT))
    merged: dict[tuple[str, ...], KeyTerm] = {}
    for key in scored:  # a corrected typo may meet the same word spelled right
        if key.phrase not in merged or merged[key.phrase].weight < key.weight:
            merged[key.phrase] = key
    ranked = sorted(merged.values(), key=lambda k: (-k.weight, k.stem))
    return ranked[:MAX_KEY_TERMS]


def _term_query(phrase: tuple[str, ...], boost: float) -> Query:
    per_field: list[Query] = []
    for fieldname, field_boost in FIELD_BOOSTS.items():
        if len(phrase) == 1:
            per_field.append(Term(fieldname, phrase[0], boost=boost * field_boost))
        else:
            per_field.append(Phrase(fieldname, list(phrase), slop=2, boost=boost * field_boost))
    return Or(per_field)


def build_case_query(keys: list[KeyTerm], codes: list[str], prefixes: list[str], synonyms: Synonyms) -> Query | None:
    clauses: list[Query] = []
    top = max((k.weight for k in keys), default=1.0) or 1.0
    for key in keys:
        boost = key.weight / top
        clauses.append(_term_query(key.phrase, boost))
        if SYNONYM_FACTOR > 0:
            clauses.extend(_term_query(alt, boost * SYNONYM_FACTOR) for alt in synonyms.expand(key.phrase))
    clauses.extend(Term("codes", code, boost=CODE_BOOST) for code in codes)
    clauses.extend(Term("codes", prefix, boost=PREFIX_BOOST) for prefix in prefixes)
    # Flattened into one Or of terms: Whoosh then scores it with one array union instead of a deep tree.
    return Or(clauses).normalize() if clauses else None


def _matched_surfaces(hit_terms: set[tuple[str, bytes]], keys: list[KeyTerm], synonyms: Synonyms) -> list[str]:
    words = {t.decode("utf-8", "replace") if isinstance(t, bytes) else str(t) for _f, t in hit_terms}
    out = []
    for key in keys:
        options = [key.phrase, *synonyms.expand(key.phrase)]
        if any(all(s in words for s in opt) for opt in options):
            out.append(key.surface)
    return out


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
        ranked.matched = _matched_surfaces(hit.matched_terms(), keys, synonyms)
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
        ranked.matched = _matched_surfaces(hit.matched_terms(), keys, synonyms)
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


COMPLETIONS = 3  # words the KB knows that a half-typed last word may become, most common first


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
        options = [_term_query(phrase, 1.0)]
        options.extend(_term_query(alt, QUERY_SYNONYM_FACTOR) for alt in synonyms.expand(phrase))
        if complete and i == len(words) - 1 and len(word) >= 3 and not is_stop(word):
            stems = {phrase[0]}
            for completion in complete(word):
                if (fixed := stem(completion)) not in stems:
                    stems.add(fixed)
                    options.append(_term_query((fixed,), 1.0))
        options.append(Term("codes", word, boost=CODE_BOOST))
        options.append(Term("id", word, boost=CODE_BOOST))
        clauses.append(Or(options).normalize())
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
