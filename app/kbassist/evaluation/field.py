"""Measure suggestions on the field set: cases derived from real public reports (tests/eval/field.yaml).

Three systems on the same index in one run: KB Assist, the plain BM25 OR query, and the sentence-embedding
model alone (the case's first 128 word pieces against every document). Besides retrieval it measures what
an associate sees: whether "confident" can be believed, whether cases nothing answers are shown as leads,
the customer name put in the greeting, and the detected language.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kbassist.evaluation.baselines import DenseBaseline, Ranking, baseline_rank
from kbassist.evaluation.figures import first_hit, mrr, recall_at, share
from kbassist.search.engine import SearchEngine, Suggestions

SYSTEMS = ("kbassist", "bm25", "dense")


@dataclass(frozen=True, slots=True)
class FieldCase:
    id: str
    text: str
    products: tuple[str, ...]
    articles: tuple[str, ...] = ()
    macros: tuple[str, ...] = ()
    out_of_scope: bool = False
    name: str | None = None
    language: str = "en"
    split: str = ""
    source: str = ""
    style: str = ""

    @property
    def answerable(self) -> bool:
        return bool(self.articles)


def load_field_cases(path: Path, split: str | None = None) -> list[FieldCase]:
    raw = yaml.safe_load(Path(path).read_text("utf-8")) or []
    cases = [
        FieldCase(
            id=str(c["id"]),
            text=str(c["text"]),
            products=tuple(c.get("products") or ()),
            articles=tuple(c.get("articles") or ()),
            macros=tuple(c.get("macros") or ()),
            out_of_scope=bool(c.get("out_of_scope", False)),
            name=str(c["name"]) if c.get("name") else None,
            language=str(c.get("language") or "en"),
            split=str(c.get("split") or ""),
            source=str(c.get("source") or ""),
            style=str(c.get("style") or ""),
        )
        for c in raw
    ]
    return [c for c in cases if split is None or c.split == split]


def is_field_set(path: Path) -> bool:
    """A field set labels product areas per case; the older sets label articles only."""
    raw = yaml.safe_load(Path(path).read_text("utf-8")) or []
    return bool(raw) and isinstance(raw[0], dict) and "products" in raw[0]


@dataclass(slots=True)
class Retrieval:
    """One system's figures for one kind (articles or macros)."""

    cases: int = 0  # cases with acceptable ids (recall, MRR)
    product_cases: int = 0  # in-scope cases with a product label (product figures)
    product_top1: float = 0.0
    product_top3: float = 0.0
    recall_at_1: float = 0.0
    recall_at_3: float = 0.0
    mrr: float = 0.0


@dataclass(slots=True)
class Confidence:
    confident: int = 0  # cases shown as a confident answer
    confident_product_right: float = 0.0  # of those: in scope and the top article's product is right
    confident_product_any: float = 0.0  # of those: the top article's product is right (out-of-scope too)
    answerable: int = 0
    answerable_confident: float = 0.0  # answerable cases shown as confident
    unanswerable: int = 0
    unanswerable_low: float = 0.0  # cases no article answers, shown as low confidence (leads)


@dataclass(slots=True)
class Names:
    labelled: int = 0
    detected: int = 0
    precision: float = 0.0
    recall: float = 0.0
    wrong: list[dict[str, str | None]] = field(default_factory=list)


@dataclass(slots=True)
class Languages:
    cases: int = 0  # non-English cases
    detected: float = 0.0  # share of all cases whose language was detected right
    product_top1: dict[str, float] = field(default_factory=dict)  # per system, on the non-English cases


@dataclass(slots=True)
class FieldReport:
    cases: int
    split: str
    articles: dict[str, Retrieval]
    macros: dict[str, Retrieval]
    confidence: Confidence
    names: Names
    languages: Languages
    seconds_per_case: float = 0.0
    per_case: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _retrieval(rows: Sequence[tuple[FieldCase, Ranking]], wanted: Callable[[FieldCase], tuple[str, ...]]) -> Retrieval:
    product_rows = [(c, r) for c, r in rows if c.products and not c.out_of_scope]
    id_rows = [(c, r) for c, r in rows if wanted(c)]
    firsts = [first_hit(ranking.ids, wanted(case)) for case, ranking in id_rows]
    return Retrieval(
        cases=len(id_rows),
        product_cases=len(product_rows),
        product_top1=share([bool(r.products) and r.products[0] in c.products for c, r in product_rows]),
        product_top3=share([any(p in c.products for p in r.products[:3]) for c, r in product_rows]),
        recall_at_1=recall_at(firsts, 1),
        recall_at_3=recall_at(firsts, 3),
        mrr=mrr(firsts),
    )


def _fold(text: str) -> list[str]:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return [w for w in plain.lower().replace(",", " ").split() if w]


def name_matches(detected: str, label: str) -> bool:
    """Right when every word detected belongs to the labelled name ("Thomas" for "Thomas Becker")."""
    got, want = _fold(detected), _fold(label)
    if not got:
        return False
    if len(want) == 1 and len(got) == 1 and not want[0].isascii():  # CJK names carry no spaces
        return got[0] == want[0] or got[0] in want[0]
    return all(w in want for w in got)


def evaluate_field(
    engine: SearchEngine,
    cases: Sequence[FieldCase],
    split: str = "all",
    progress: Callable[[int, int], None] | None = None,
) -> FieldReport:
    rows: dict[str, dict[str, list[tuple[FieldCase, Ranking]]]] = {s: {"article": [], "macro": []} for s in SYSTEMS}
    shown: list[tuple[FieldCase, Suggestions]] = []
    dense_baseline = DenseBaseline(engine)
    per_case: list[dict[str, Any]] = []
    started = time.perf_counter()
    for n, case in enumerate(cases, 1):
        if progress:
            progress(n, len(cases))
        result = engine.suggest(case.text)
        shown.append((case, result))
        rows["kbassist"]["article"].append(
            (case, Ranking([a.id for a in result.articles], [a.product for a in result.articles]))
        )
        rows["kbassist"]["macro"].append(
            (case, Ranking([m.id for m in result.macros], [m.product for m in result.macros]))
        )
        for kind in ("article", "macro"):
            base = baseline_rank(engine, case.text, kind)
            rows["bm25"][kind].append((case, Ranking([i for i, _ in base], [p for _, p in base])))
        dense = dense_baseline.rank(case.text)
        for kind in ("article", "macro"):
            rows["dense"][kind].append((case, dense[kind]))
        per_case.append(
            {
                "id": case.id,
                "want_products": list(case.products),
                "want_articles": list(case.articles),
                "got_articles": [a.id for a in result.articles[:3]],
                "got_products": [a.product for a in result.articles[:3]],
                "confidence": result.confidence,
                "language": result.case.language.code,
                "name": result.case.entities.customer_name,
            }
        )
    elapsed = time.perf_counter() - started
    articles = {s: _retrieval(rows[s]["article"], lambda c: c.articles) for s in SYSTEMS}
    macros = {s: _retrieval(rows[s]["macro"], lambda c: c.macros) for s in SYSTEMS}
    return FieldReport(
        cases=len(cases),
        split=split,
        articles=articles,
        macros=macros,
        confidence=_confidence(shown),
        names=_names(shown),
        languages=_languages(shown, rows),
        seconds_per_case=round(elapsed / max(len(cases), 1), 4),
        per_case=per_case,
    )


def _confidence(shown: Sequence[tuple[FieldCase, Suggestions]]) -> Confidence:
    confident = [(c, r) for c, r in shown if r.confidence == "high"]
    answerable = [r for c, r in shown if c.answerable]
    unanswerable = [r for c, r in shown if not c.answerable]
    return Confidence(
        confident=len(confident),
        confident_product_right=share(
            [not c.out_of_scope and bool(r.articles) and r.articles[0].product in c.products for c, r in confident]
        ),
        confident_product_any=share([bool(r.articles) and r.articles[0].product in c.products for c, r in confident]),
        answerable=len(answerable),
        answerable_confident=share([r.confidence == "high" for r in answerable]),
        unanswerable=len(unanswerable),
        unanswerable_low=share([r.confidence != "high" for r in unanswerable]),
    )


def _names(shown: Sequence[tuple[FieldCase, Suggestions]]) -> Names:
    labelled = [(c, r) for c, r in shown if c.name]
    detected = [(c, r) for c, r in shown if r.case.entities.customer_name]
    right = [c.name is not None and name_matches(r.case.entities.customer_name or "", c.name) for c, r in detected]
    found = [name_matches(r.case.entities.customer_name or "", c.name or "") for c, r in labelled]
    wrong = [
        {"case": c.id, "detected": r.case.entities.customer_name, "label": c.name}
        for c, r in shown
        if (r.case.entities.customer_name or c.name)
        and not (c.name and name_matches(r.case.entities.customer_name or "", c.name))
    ]
    return Names(len(labelled), len(detected), share(right) if detected else 1.0, share(found), wrong)


def _languages(
    shown: Sequence[tuple[FieldCase, Suggestions]], rows: dict[str, dict[str, list[tuple[FieldCase, Ranking]]]]
) -> Languages:
    foreign = {c.id for c, _ in shown if c.language != "en"}
    product_top1 = {}
    for system in SYSTEMS:
        picked = [(c, r) for c, r in rows[system]["article"] if c.id in foreign and not c.out_of_scope]
        product_top1[system] = share([bool(r.products) and r.products[0] in c.products for c, r in picked])
    return Languages(
        cases=len(foreign),
        detected=share([r.case.language.code == c.language for c, r in shown]),
        product_top1=product_top1,
    )


def format_field_report(report: FieldReport) -> str:
    lines = [f"Field set, split {report.split}: {report.cases} cases", ""]
    header = f"{'':22}{'prod@1':>8}{'prod@3':>8}{'R@1':>7}{'R@3':>7}{'MRR':>7}{'cases':>7}"
    for kind, table in (("articles", report.articles), ("macros", report.macros)):
        lines.append(header)
        for system in SYSTEMS:
            m = table[system]
            lines.append(
                f"{system + ' ' + kind:22}{m.product_top1:>8.3f}{m.product_top3:>8.3f}{m.recall_at_1:>7.3f}"
                f"{m.recall_at_3:>7.3f}{m.mrr:>7.3f}{m.cases:>4}/{m.product_cases}"
            )
        lines.append("")
    c = report.confidence
    lines += [
        f"confident answers: {c.confident}; top article in the right product: {c.confident_product_right:.3f} "
        f"(out-of-scope cases counted wrong), {c.confident_product_any:.3f} (by product alone)",
        f"answerable cases shown as confident: {c.answerable_confident:.3f} ({c.answerable} cases)",
        f"unanswerable cases shown as low confidence: {c.unanswerable_low:.3f} ({c.unanswerable} cases)",
        f"names: precision {report.names.precision:.3f} ({report.names.detected} detected), "
        f"recall {report.names.recall:.3f} ({report.names.labelled} labelled)",
        f"languages: detected right {report.languages.detected:.3f}; non-English cases {report.languages.cases}, "
        "product of top article: " + ", ".join(f"{s} {v:.3f}" for s, v in report.languages.product_top1.items()),
        f"time per case: {report.seconds_per_case * 1000:.1f} ms (suggest + both baselines)",
    ]
    return "\n".join(lines)
