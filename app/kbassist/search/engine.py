"""The small surface the CLI and the window use: update the index, suggest for a case, search, fill."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from whoosh.query import And, Term

from kbassist.content.model import KbItem, Macro
from kbassist.content.placeholders import FilledText, fill
from kbassist.search.case import CaseAnalysis, analyse_case
from kbassist.search.collect import collect_words, scoring_cache
from kbassist.search.index import KbIndex, Progress, UpdateReport
from kbassist.search.ranking import (
    KeyTerm,
    Ranked,
    completions,
    macro_reliance,
    rank_case,
    search_word_queries,
)
from kbassist.search.synonyms import Synonyms, load_synonyms
from kbassist.search.text import tokenize

Confidence = Literal["high", "low", "none"]
# The top article must match at least this share of the case's key-term weight to be shown as an answer
# rather than a guess (unless the case's IDs or codes point to its product). Calibrated with `kbassist eval`:
# none-fit cases sit at 0.12-0.30, answered ones mostly above 0.3.
LOW_COVERAGE = 0.28
# ... and score at least this much (BM25 units on the bundled KB: none-fit cases 20-45, answered ones mostly 35+).
LOW_SCORE = 30.0


@dataclass(slots=True)
class Suggestion:
    id: str
    kind: str
    title: str
    product: str
    score: float
    why: str
    filled: str | None = None
    unfilled: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "product": self.product,
            "score": round(self.score, 3),
            "why": self.why,
        }
        if self.kind == "macro":
            data |= {"filled": self.filled, "unfilled": list(self.unfilled)}
        return data


@dataclass(slots=True)
class Suggestions:
    case: CaseAnalysis
    products: list[str]
    articles: list[Suggestion] = field(default_factory=list)
    macros: list[Suggestion] = field(default_factory=list)
    key_terms: list[KeyTerm] = field(default_factory=list)
    confidence: Confidence = "none"

    def to_json(self) -> dict[str, Any]:
        return {
            "case": {
                "products": self.products,
                "entities": self.case.entities.to_json(),
                "key_terms": [k.surface for k in self.key_terms],
                "confidence": self.confidence,
            },
            "articles": [a.to_json() for a in self.articles],
            "macros": [m.to_json() for m in self.macros],
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: str
    kind: str
    title: str
    product: str
    score: float


class SearchEngine:
    """One KB folder's index plus the ranking that uses it; safe to call from worker threads."""

    def __init__(self, kb_root: Path, index_root: Path | None = None, synonyms: Synonyms | None = None) -> None:
        self.kb_root = Path(kb_root).resolve()
        self.index = KbIndex(self.kb_root, index_root)
        self.synonyms = synonyms or load_synonyms()

    def close(self) -> None:
        self.index.close()

    def update(self, progress: Progress | None = None) -> UpdateReport:
        return self.index.update(progress)

    def rebuild(self, progress: Progress | None = None) -> UpdateReport:
        return self.index.rebuild(progress)

    def stop_updates(self) -> None:
        """End a running index update early (keeping its work) and skip later ones: the app is quitting."""
        self.index.stop()

    def get(self, item_id: str) -> KbItem | None:
        return self.index.get(item_id)

    # ------------------------------------------------------------------ cases
    def suggest(
        self,
        case_text: str | bytes,
        agent: Mapping[str, str] | None = None,
        article_limit: int = 10,
        macro_limit: int = 5,
    ) -> Suggestions:
        case = analyse_case(case_text, self.synonyms)
        speller = self.index.speller()
        with self.index.searcher() as searcher:
            reliance = self.index.derived("macro_reliance", macro_reliance)
            cache = self.index.derived("scoring", scoring_cache)
            articles, macros, keys = rank_case(
                searcher, case, self.synonyms, speller, article_limit, macro_limit, reliance, cache
            )
        products = list(case.products)
        result_confidence = self._confidence(articles, products)
        if articles and articles[0].product not in products and result_confidence == "high":
            products.append(articles[0].product)
        values = self.placeholder_values(case, agent)
        result = Suggestions(case, products, key_terms=keys)
        result.articles = [self._suggestion(r) for r in articles]
        for ranked in macros:
            suggestion = self._suggestion(ranked)
            item = self.get(ranked.id)
            if isinstance(item, Macro):
                filled = fill(item.body, values)
                suggestion.filled, suggestion.unfilled = filled.text.strip(), filled.unfilled
            result.macros.append(suggestion)
        result.confidence = result_confidence
        return result

    @staticmethod
    def _confidence(articles: list[Ranked], evidence_products: list[str]) -> Confidence:
        if not articles:
            return "none"
        top = articles[0]
        if top.product in evidence_products:
            return "high"
        return "high" if top.coverage >= LOW_COVERAGE and top.score >= LOW_SCORE else "low"

    @staticmethod
    def _suggestion(ranked: Ranked) -> Suggestion:
        return Suggestion(ranked.id, ranked.kind, ranked.title, ranked.product, ranked.score, ranked.why)

    @staticmethod
    def placeholder_values(case: CaseAnalysis, agent: Mapping[str, str] | None = None) -> dict[str, str]:
        values = case.entities.placeholder_values()
        for key, value in (agent or {}).items():
            if value:
                values[key] = value
        return values

    def fill_macro(
        self,
        macro_id: str,
        case_text: str | bytes = "",
        agent: Mapping[str, str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> FilledText:
        item = self.get(macro_id)
        if not isinstance(item, Macro):
            raise KeyError(macro_id)
        values = (
            self.placeholder_values(analyse_case(case_text, self.synonyms), agent) if case_text else dict(agent or {})
        )
        values.update({k: v for k, v in (extra or {}).items() if v})
        return fill(item.body, values)

    # ------------------------------------------------------------------ typed search
    def search(
        self, text: str, product: str | None = None, kind: str | None = None, limit: int = 50
    ) -> list[SearchHit]:
        filters = [Term(name, value) for name, value in (("product", product), ("kind", kind)) if value]
        with self.index.searcher() as searcher:
            words = search_word_queries(text, self.synonyms, lambda prefix: completions(searcher, prefix))
            if not words:
                return []
            allowed = set(searcher.docs_for_query(And(filters))) if filters else None
            cache = self.index.derived("scoring", scoring_cache)
            hits = collect_words(searcher, words, limit, cache, allowed)
            return [SearchHit(h["id"], h["kind"], h["title"], h["product"], h.score) for h in hits]

    def did_you_mean(self, text: str) -> str | None:
        """A corrected query when some words are unknown to the KB but close to known ones."""
        words = tokenize(text)
        if not words:
            return None
        speller = self.index.speller()
        out = [(speller.correct(w) if len(w) >= 4 and w.isalpha() else None) or w for w in words]
        return " ".join(out) if out != words else None
