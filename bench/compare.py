"""KB Assist beside tantivy and bm25s on one synthetic KB: the same figures for each engine, timed interleaved.

The engines answer the cases in turn, case by case (who goes first rotates), not one engine's whole run
after another's, so a burst of load on a shared machine lands on all of them alike. Every figure is a
``Figure`` (one JSON line with ``--json``); the table gives each beside its ratio to tantivy.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import engines as eng
from engines import Doc, Engine

# metric -> (label, unit); the order of the table's rows. {cases} and {words} are filled in per run.
METRICS: dict[str, tuple[str, str]] = {
    "suggest_p50": ("answer a case, {cases} eval cases: median", "ms"),
    "suggest_p95": ("answer a case, {cases} eval cases: p95", "ms"),
    "long_p95": ("long case (median {words} words), {longs} cases: p95", "ms"),
    "typed_p95": ("typed search, {typed} short queries, top 50: p95", "ms"),
    "edit_searchable": ("one edited document searchable again", "ms"),
    "fresh_first_case": ("fresh process -> first case answered", "ms"),
    "fresh_again": ("a second fresh process -> first case (caches kept)", "ms"),
    "build_docs_per_s": ("full build", "docs/s"),
    "build_peak_rss": ("peak RSS of the build process", "MiB"),
    "fresh_peak_rss": ("peak RSS of the fresh process (open + one case)", "MiB"),
    "gui_interactive": ("window start -> its event loop running (offscreen)", "ms"),
    "gui_first_case": ("window start -> a pasted case answered on screen", "ms"),
    "gui_rss": ("RSS of the window: {gui} cases, 3 s into its check", "MiB"),
    "gui_peak_rss": ("peak RSS of the window (the same)", "MiB"),
}
GUI_METRICS = {"interactive_ms": "gui_interactive", "first_case_ms": "gui_first_case", "rss_mib": "gui_rss"}
GUI_METRICS |= {"peak_rss_mib": "gui_peak_rss"}  # what the window child reports -> the metric
WHOOSH = "whoosh-or"  # Whoosh's plain BM25 OR query on KB Assist's own index (kbassist.evaluation.baselines)


@dataclass(frozen=True)
class Figure:
    metric: str
    n_articles: int
    engine: str
    value: float
    unit: str

    def json(self) -> str:
        return json.dumps(asdict(self))


def percentile(samples: Sequence[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def time_interleaved(
    texts: Sequence[str],
    calls: dict[str, Callable[[str], Any]],
    rounds: int,
    log: Callable[[str], None] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each engine on each text; the engines take turns on every text."""
    names = list(calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    done = 0
    last_log = time.perf_counter()
    for r in range(rounds):
        for i, text in enumerate(texts):
            k = (i + r) % len(names)
            for name in names[k:] + names[:k]:
                started = time.perf_counter()
                calls[name](text)
                samples[name].append(time.perf_counter() - started)
            done += 1
            if log and time.perf_counter() - last_log > 30:
                last_log = time.perf_counter()
                log(f"  {done}/{rounds * len(texts)} texts")
    return samples


@dataclass
class Workload:
    cases: list[str]
    longs: list[str]
    typed: list[str]
    rounds: int


class Comparison:
    """Builds, opens and times the engines on one KB; ``figures`` collects what was measured."""

    def __init__(self, n_articles: int, kb_root: Path, work: Path, log: Callable[[str], None]) -> None:
        self.n_articles = n_articles
        self.kb_root = kb_root
        self.work = work
        self.log = log
        self.figures: list[Figure] = []
        self.open: dict[str, Engine] = {}

    def add(self, metric: str, engine: str, value: float) -> None:
        self.figures.append(Figure(metric, self.n_articles, engine, round(value, 3), METRICS[metric][1]))

    def build(self, names: Sequence[str], first_case: str, gui_cases: Sequence[str] = ()) -> None:
        """Each engine built in a process of its own, then a fresh process answers the first case; KB Assist's
        window is started in another and answers ``gui_cases``, pasted one after another."""
        for name in names:
            folder = self.work / f"index-{name}"
            self.log(f"{name}: full build in a process of its own ...")
            documents, seconds, reading, rss = eng.build_in_child(name, self.kb_root, folder)
            read = f" ({reading:.1f} s of it reading the KB)" if reading else ""
            self.log(f"  {documents} documents in {seconds:.1f} s{read}, peak RSS {rss} MiB")
            self.add("build_docs_per_s", name, documents / seconds)
            self.add("build_peak_rss", name, rss)
            seconds, rss = eng.first_case_in_child(name, self.kb_root, folder, first_case)
            self.add("fresh_first_case", name, seconds * 1000)
            self.add("fresh_peak_rss", name, rss)
            # KB Assist's first process on a machine unpacks the language model into its cache (0.5 s once).
            self.add("fresh_again", name, eng.first_case_in_child(name, self.kb_root, folder, first_case)[0] * 1000)
            if name == "kbassist" and gui_cases:
                self.window(folder, gui_cases)
            self.open[name] = eng.open_engine(name, self.kb_root, folder)

    def window(self, folder: Path, cases: Sequence[str]) -> None:
        """KB Assist's window started offscreen in a process of its own (``engines.gui_in_child``)."""
        self.log(f"kbassist: the window started offscreen, {len(cases)} cases pasted ...")
        report = eng.gui_in_child(self.kb_root, folder, list(cases))
        if "first_case_ms" not in report:
            self.log(f"  the window answered no case: {report}")
        for key, metric in GUI_METRICS.items():
            if key in report:
                self.add(metric, "kbassist", report[key])

    def time_queries(self, work: Workload, extra: dict[str, Callable[[str], Any]]) -> None:
        """Cases, long cases and typed queries, the engines interleaved; ``extra``: more case answerers."""
        answer = {name: engine.case for name, engine in self.open.items()} | extra
        for call in answer.values():  # warm-up: caches, the first touch of the index files
            call(work.cases[0])
        for metric, texts in (("suggest", work.cases), ("long", work.longs)):
            self.log(f"{metric}: {len(texts)} texts x {len(answer)} engines, interleaved ...")
            samples = time_interleaved(texts, answer, work.rounds, self.log)
            for name, seconds in samples.items():
                if metric == "suggest":
                    self.add("suggest_p50", name, statistics.median(seconds) * 1000)
                    self.add("suggest_p95", name, percentile(seconds, 0.95) * 1000)
                else:
                    self.add("long_p95", name, percentile(seconds, 0.95) * 1000)
        typed = {name: engine.typed for name, engine in self.open.items()}
        samples = time_interleaved(work.typed, typed, max(work.rounds, 3))
        for name, seconds in samples.items():
            self.add("typed_p95", name, percentile(seconds, 0.95) * 1000)

    def edit(self, doc: Doc) -> None:
        """One document edited and searched for again, in each engine that can update in place."""
        for name, engine in self.open.items():
            started = time.perf_counter()
            found = engine.edit(doc)
            seconds = time.perf_counter() - started
            if found is None:
                continue
            if not found:
                self.log(f"  {name}: the edited document was not found again")
                continue
            self.add("edit_searchable", name, seconds * 1000)

    def close(self) -> None:
        for engine in self.open.values():
            engine.close()


# --------------------------------------------------------------------------- output
def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _ratio(value: float, floor: float | None) -> str:
    if not floor:
        return ""
    ratio = value / floor
    return f" ({ratio:.0f}x)" if ratio >= 10 else f" ({ratio:.2g}x)"


def comparison_table(figures: Sequence[Figure], labels: dict[str, str]) -> str:
    """Rows: the metrics; columns: the engines, each figure with its ratio to tantivy's."""
    names = list(dict.fromkeys(f.engine for f in figures))
    value = {(f.metric, f.engine): f for f in figures}
    width = 24
    lines = [f"  {'':52}" + "".join(f"{n:>{width}}" for n in names)]
    for metric in METRICS:
        if not any((metric, n) in value for n in names):
            continue
        floor = value.get((metric, "tantivy"))
        cells = []
        for name in names:
            fig = value.get((metric, name))
            if fig is None:
                cells.append(f"{'–':>{width}}")
                continue
            text = f"{_number(fig.value)} {fig.unit}{_ratio(fig.value, floor.value if floor else None)}"
            cells.append(f"{text:>{width}}")
        lines.append(f"  {labels.get(metric, metric):52}" + "".join(cells))
    return "\n".join(lines)
