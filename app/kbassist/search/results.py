"""What the engine answers: suggestions for a case, and hits for a typed query (with its correction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kbassist.content.model import BASE_LANGUAGE, ItemKind
from kbassist.search.case import CaseAnalysis
from kbassist.search.case_query import KeyTerm
from kbassist.search.confidence import Confidence


@dataclass(slots=True)
class Suggestion:
    id: str
    kind: ItemKind
    title: str
    product: str
    score: float
    why: str
    filled: str | None = None
    unfilled: tuple[str, ...] = ()
    lang: str = BASE_LANGUAGE  # for a macro: the language ``filled`` is written in (not in the JSON contract)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "product": self.product,
            "score": round(self.score, 3),
            "why": self.why,
        }
        if self.kind is ItemKind.MACRO:
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
                "language": self.case.language.code,
                "warnings": [w.to_json() for w in self.case.warnings],
            },
            "articles": [a.to_json() for a in self.articles],
            "macros": [m.to_json() for m in self.macros],
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: str
    kind: ItemKind
    title: str
    product: str
    score: float


@dataclass(frozen=True, slots=True)
class TypedResults:
    """A typed query's results. When some words are unknown to the KB and the corrected words find
    something, ``hits`` are for ``shown`` (the corrected query) and ``query`` is what was typed: the window
    says "Showing results for <shown> — search instead for <query>"."""

    query: str
    hits: list[SearchHit]
    shown: str  # the query ``hits`` are for
    did_you_mean: str | None = None  # a correction the KB knows, whether or not its results are shown

    @property
    def corrected(self) -> bool:
        return self.shown != self.query

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "did_you_mean": self.did_you_mean,
            "showing_results_for": self.shown,
            "results": [
                {"id": h.id, "kind": h.kind, "title": h.title, "product": h.product, "score": round(h.score, 3)}
                for h in self.hits
            ],
        }
