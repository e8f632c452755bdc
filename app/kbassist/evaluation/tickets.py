"""Measure suggestion quality on the ticket sets (tests/eval/cases.yaml, holdout.yaml), against the plain
BM25 baseline (``baselines.py``) on the same index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kbassist.evaluation.baselines import baseline_rank
from kbassist.evaluation.figures import first_hit, mrr, recall_at, share
from kbassist.search.engine import SearchEngine


@dataclass(frozen=True, slots=True)
class EvalCase:
    id: str
    style: str
    text: str
    articles: tuple[str, ...]
    macros: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    also_macros: tuple[str, ...] = ()


@dataclass(slots=True)
class Metrics:
    cases: int = 0
    recall_at_1: float = 0.0
    recall_at_3: float = 0.0
    mrr: float = 0.0
    product_accuracy: float = 0.0


@dataclass(slots=True)
class SystemReport:
    articles: Metrics
    macros: Metrics
    by_style: dict[str, float] = field(default_factory=dict)  # article recall@3 per case style


@dataclass(slots=True)
class EvalReport:
    system: SystemReport
    baseline: SystemReport
    two_topic_both_shown: float = 0.0  # two-topic cases with an article of each topic in the top 10
    two_topic_cases: int = 0
    none_fit_flagged: float = 0.0  # none-fit cases shown as low confidence
    none_fit_cases: int = 0
    false_low_confidence: float = 0.0  # answerable cases wrongly shown as low confidence
    misses: list[dict[str, Any]] = field(default_factory=list)
    seconds_per_case: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_cases(path: Path) -> list[EvalCase]:
    raw = yaml.safe_load(Path(path).read_text("utf-8")) or []
    return [
        EvalCase(
            id=str(c["id"]),
            style=str(c.get("style", "")),
            text=str(c["text"]),
            articles=tuple(c.get("articles") or ()),
            macros=tuple(c.get("macros") or ()),
            also=tuple(c.get("also") or ()),
            also_macros=tuple(c.get("also_macros") or ()),
        )
        for c in raw
    ]


def _metrics(ranked: Sequence[tuple[list[str], Sequence[str], str | None, set[str]]]) -> Metrics:
    """ranked: (result ids best first, acceptable ids, product of top result, acceptable products)."""
    if not ranked:
        return Metrics()
    firsts = [first_hit(ids, good) for ids, good, _top, _want in ranked]
    products = [top is not None and top in want for _ids, _good, top, want in ranked]
    return Metrics(len(ranked), recall_at(firsts, 1), recall_at(firsts, 3), mrr(firsts), share(products))


def evaluate(
    engine: SearchEngine, cases: Sequence[EvalCase], progress: Callable[[int, int], None] | None = None
) -> EvalReport:
    import time

    product_of = {i.id: i.product for i in engine.index.all_items()}
    sys_art, sys_mac, base_art, base_mac = [], [], [], []
    style_hits: dict[str, list[bool]] = defaultdict(list)
    base_style: dict[str, list[bool]] = defaultdict(list)
    two_topic: list[bool] = []
    none_fit: list[bool] = []
    false_low: list[bool] = []
    misses: list[dict[str, Any]] = []
    started = time.perf_counter()
    for n, case in enumerate(cases, 1):
        if progress:
            progress(n, len(cases))
        result = engine.suggest(case.text)
        art_ids = [a.id for a in result.articles]
        mac_ids = [m.id for m in result.macros]
        if not case.articles:
            none_fit.append(result.confidence != "high")
            continue
        false_low.append(result.confidence != "high")
        # The top result's product is right when it is the product of any acceptable article (of either
        # topic, for a two-topic case).
        want = {product_of[i] for i in (*case.articles, *case.also) if i in product_of}
        sys_art.append((art_ids, case.articles, result.articles[0].product if result.articles else None, want))
        style_hits[case.style].append(any(i in case.articles for i in art_ids[:3]))
        base = baseline_rank(engine, case.text, "article")
        base_art.append(([i for i, _ in base], case.articles, base[0][1] if base else None, want))
        base_style[case.style].append(any(i in case.articles for i, _ in base[:3]))
        if not any(i in case.articles for i in art_ids[:3]):
            misses.append({"case": case.id, "style": case.style, "want": list(case.articles), "got": art_ids[:3]})
        if case.also:
            two_topic.append(any(i in case.articles for i in art_ids) and any(i in case.also for i in art_ids))
        if case.macros:
            mwant = {product_of[i] for i in (*case.macros, *case.also_macros) if i in product_of}
            sys_mac.append((mac_ids, case.macros, result.macros[0].product if result.macros else None, mwant))
            bm = baseline_rank(engine, case.text, "macro")
            base_mac.append(([i for i, _ in bm], case.macros, bm[0][1] if bm else None, mwant))
            if not any(i in case.macros for i in mac_ids[:3]):
                misses.append(
                    {"case": case.id, "style": case.style, "want_macro": list(case.macros), "got": mac_ids[:3]}
                )
    elapsed = time.perf_counter() - started

    return EvalReport(
        system=SystemReport(_metrics(sys_art), _metrics(sys_mac), {k: share(v) for k, v in sorted(style_hits.items())}),
        baseline=SystemReport(
            _metrics(base_art), _metrics(base_mac), {k: share(v) for k, v in sorted(base_style.items())}
        ),
        two_topic_both_shown=share(two_topic),
        two_topic_cases=len(two_topic),
        none_fit_flagged=share(none_fit),
        none_fit_cases=len(none_fit),
        false_low_confidence=share(false_low),
        misses=misses,
        seconds_per_case=round(elapsed / max(len(cases), 1), 4),
    )


def format_report(report: EvalReport) -> str:
    lines = [f"{'':24}{'recall@1':>10}{'recall@3':>10}{'MRR':>8}{'product':>9}{'cases':>7}"]
    for name, sysrep in (("KB Assist", report.system), ("BM25 baseline", report.baseline)):
        for kind, m in (("articles", sysrep.articles), ("macros", sysrep.macros)):
            lines.append(
                f"{name + ' ' + kind:24}{m.recall_at_1:>10.3f}{m.recall_at_3:>10.3f}{m.mrr:>8.3f}"
                f"{m.product_accuracy:>9.3f}{m.cases:>7}"
            )
    lines.append("")
    lines.append(
        f"two-topic cases with both topics shown: {report.two_topic_both_shown:.3f} ({report.two_topic_cases} cases)"
    )
    lines.append(
        f"none-fit cases flagged low confidence:  {report.none_fit_flagged:.3f} ({report.none_fit_cases} cases)"
    )
    lines.append(f"answerable cases flagged low confidence: {report.false_low_confidence:.3f}")
    lines.append(f"time per case: {report.seconds_per_case * 1000:.1f} ms (suggest + baseline)")
    lines.append("")
    lines.append(f"{'article recall@3 by style':28}{'KB Assist':>10}{'BM25':>8}")
    for style, value in report.system.by_style.items():
        lines.append(f"  {style:26}{value:>10.3f}{report.baseline.by_style.get(style, 0.0):>8.3f}")
    return "\n".join(lines)
