"""Speed and memory figures for KB Assist's search on a large synthetic knowledge base, beside tantivy and bm25s.

Run from the repository root:

    .venv/bin/python bench/bench_search.py                        # 10,000 articles + 5,000 macros
    .venv/bin/python bench/bench_search.py --articles 500         # a quick run
    .venv/bin/python bench/bench_search.py --articles 2000,10000 --engines kbassist,tantivy,bm25s
    .venv/bin/python bench/bench_search.py --json                 # one JSON line per figure

tantivy and bm25s come with the bench extra (``pip install -e ".[bench]"``, or ``make bench-deps``); an
engine whose library is missing is skipped with that message.

What it does: clones the bundled KB (kb/) into a temporary folder until it holds N articles and N//2 macros
(the first copy of each file verbatim, later copies with ids, titles and words varied; seeded, so every run
writes the same KB), then for each engine (``engines.py``; tantivy and bm25s index title and body and answer
the case's words as one plain OR query, the floor a richer query is compared to) measures

* the full build in a process of its own (documents per second, that process's peak RSS), then a fresh
  process that opens the persisted index and answers the first case (wall clock, peak RSS); for KB Assist
  also its window, started offscreen in a process of its own on that index: from the start to its event loop
  running, to the first pasted case's suggestions on screen, and its RSS after five cases;
* answering the eval cases (tests/eval/cases.yaml; KB Assist: ``SearchEngine.suggest``) and ~20 long cases
  (~300 words, several eval cases joined), and typed search on 30 short queries (top 50), the engines timed
  interleaved, case by case (``compare.py``); with KB Assist, Whoosh's plain BM25 OR query on its own index
  (``evaluation.baselines.baseline_rank``, "whoosh-or") is timed beside them unless ``--no-baseline``;
* one edited document searchable again (KB Assist: the watcher's update of one file; tantivy: delete, add,
  commit, reload; bm25s cannot update an index, so it has no figure);
* KB Assist in detail: updates with nothing changed, 10 files touched, 10 changed, one reported; the
  "did you mean" word list and ``did_you_mean`` on the short queries with a typo; the index's size on disk;
  the eval cases answered as the app answers them once the KB has vectors (the case embedded by the model,
  the documents' vectors synthetic: embedding 15,000 documents takes ten minutes here, and the time does not
  depend on their values).

Everything, including KBASSIST_HOME, lives in a temporary folder that is removed afterwards (``--keep`` keeps
it). Timings are wall-clock figures for this machine; nothing here asserts a target.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

import kbassist
from compare import METRICS, WHOOSH, Comparison, Figure, Workload, comparison_table, percentile
from engines import ENGINES, KbAssist, documents, missing
from kbassist.content.loader import load_kb
from kbassist.content.model import Article, KbItem, Macro
from kbassist.evaluation.baselines import baseline_rank
from kbassist.evaluation.sets import DEFAULT_CASES
from kbassist.evaluation.tickets import load_cases
from kbassist.search.dense import DIMENSIONS, Embedder
from kbassist.search.engine import SearchEngine

REPO = Path(__file__).resolve().parents[1]

BUNDLED_KB = REPO / "kb"

REPLACE_SHARE = 0.25  # share of prose words replaced by words drawn from the KB's vocabulary
SWAP_SHARE = 0.10  # share of neighbouring word pairs swapped
LONG_CASES = 20
LONG_CASE_WORDS = 300
CHANGED_FILES = 10
GUI_CASES = 5  # cases pasted into the window started offscreen; its RSS is read after the last

SHORT_QUERIES = (
    "refund late",
    "payout failed",
    "webhook signature",
    "card declined",
    "dispute evidence",
    "insufficient funds",
    "api key",
    "invoice past due",
    "subscription cancel",
    "terminal reader offline",
    "identity verification",
    "tax calculation",
    "checkout session expired",
    "payment link",
    "radar rule",
    "connect onboarding",
    "bank account",
    "partial refund",
    "chargeback fee",
    "3d secure",
    "balance negative",
    "payout schedule",
    "export transactions",
    "two factor",
    "team member role",
    "currency conversion",
    "issuing card",
    "treasury transfer",
    "webhook retries",
    "rate limit",
)

# Words in prose: letters only, so numbers, amounts and code-like tokens keep their form.
PROSE_WORD = re.compile(r"(?<![\w`{|.])[A-Za-z]{3,}(?![\w`}|])")
# Parts of a Markdown line that must stay as they are: inline code, link targets, placeholders, URLs.
PROTECTED = re.compile(r"`[^`]*`|\]\([^)]*\)|\{\{[^}]*\}\}|https?://\S+")


# --------------------------------------------------------------------------- synthetic KB
def kb_vocabulary(items: Iterable[KbItem]) -> list[str]:
    """Every prose word of the KB, repeats kept, so drawing from it follows the KB's own word frequencies."""
    words: list[str] = []
    for item in items:
        words.extend(w.lower() for w in re.findall(r"[A-Za-z]{3,}", f"{item.title}\n{item.plain_text}"))
    return words


def vary_words(text: str, rng: random.Random, vocab: Sequence[str]) -> str:
    """Replace and swap a share of the words of ``text``, leaving code, links and placeholders alone."""
    out: list[str] = []
    pos = 0
    for match in PROTECTED.finditer(text):
        out.append(_vary_prose(text[pos : match.start()], rng, vocab))
        out.append(match.group(0))
        pos = match.end()
    out.append(_vary_prose(text[pos:], rng, vocab))
    return "".join(out)


def _vary_prose(text: str, rng: random.Random, vocab: Sequence[str]) -> str:
    spans = [m.span() for m in PROSE_WORD.finditer(text)]
    if not spans:
        return text
    words = [text[a:b] for a, b in spans]
    for i in range(len(words)):
        if rng.random() < REPLACE_SHARE:
            words[i] = rng.choice(vocab)
    for i in range(len(words) - 1):
        if rng.random() < SWAP_SHARE:
            words[i], words[i + 1] = words[i + 1], words[i]
    out: list[str] = []
    pos = 0
    for (a, b), word in zip(spans, words, strict=True):
        out.append(text[pos:a])
        out.append(word)
        pos = b
    out.append(text[pos:])
    return "".join(out)


def vary_body(body: str, rng: random.Random, vocab: Sequence[str]) -> str:
    """Vary prose lines; keep section headings (they mark the symptoms section) and fenced code as they are."""
    lines = body.split("\n")
    in_fence = False
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence or stripped.startswith("##") or stripped.startswith("|"):
            continue
        lines[i] = vary_words(line, rng, vocab)
    return "\n".join(lines)


def render(meta: dict[str, Any], body: str) -> str:
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front}---\n{body}"


def clone_id(item_id: str, copy: int) -> str:
    return item_id if copy == 0 else f"{item_id}-c{copy}"


def clone_slug(rel_path: str, copy: int) -> str:
    path = Path(rel_path)
    return path.as_posix() if copy == 0 else path.with_name(f"{path.stem}-c{copy}.md").as_posix()


def generate_kb(target: Path, n_articles: int, seed: int) -> dict[str, Any]:
    """Write ``n_articles`` articles and ``n_articles // 2`` macros cloned from the bundled KB into ``target``."""
    source = load_kb(BUNDLED_KB)
    if source.problems:
        raise SystemExit(f"the bundled KB has problems: {source.problems[:3]}")
    articles = sorted(source.articles, key=lambda a: a.id)
    macros = sorted(source.macros, key=lambda m: m.id)
    vocab = kb_vocabulary(source.items.values())
    rng = random.Random(seed)

    def write(rel: str, text: str) -> None:
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")

    copies_of: dict[str, int] = {}  # article id -> how many copies exist (copy numbers 0..n-1)
    by_product: dict[str, str] = {}  # product -> an article id that exists, for macros whose articles do not
    total_bytes = 0
    for i in range(n_articles):
        art: Article = articles[i % len(articles)]
        copy = i // len(articles)
        copies_of[art.id] = copy + 1
        by_product.setdefault(art.product, art.id)
        meta = {
            "id": clone_id(art.id, copy),
            "title": art.title if copy == 0 else vary_words(art.title, rng, vocab),
            "product": art.product,
            "tags": list(art.tags),
            "owner": art.owner,
            "reviewed": art.reviewed,
        }
        text = art.path.read_text("utf-8") if copy == 0 else render(meta, vary_body(art.body, rng, vocab))
        write(clone_slug(art.rel_path, copy), text)
        total_bytes += len(text.encode("utf-8"))

    any_article = next(iter(copies_of))
    for i in range(n_articles // 2):
        mac: Macro = macros[i % len(macros)]
        copy = i // len(macros)
        refs: list[str] = []
        for art_id in mac.articles:
            if art_id in copies_of:
                refs.append(clone_id(art_id, min(copy, copies_of[art_id] - 1)))
        if not refs:  # a small KB may not hold the articles this macro relies on
            refs.append(clone_id(by_product.get(mac.product, any_article), 0))
        meta = {
            "id": clone_id(mac.id, copy),
            "title": vary_words(mac.title, rng, vocab) if copy else mac.title,
            "product": mac.product,
            "tags": list(mac.tags),
            "articles": list(dict.fromkeys(refs)),
        }
        body = vary_body(mac.body, rng, vocab) if copy else mac.body
        text = render(meta, body)
        write(clone_slug(mac.rel_path, copy), text)
        total_bytes += len(text.encode("utf-8"))
    return {
        "articles": n_articles,
        "macros": n_articles // 2,
        "source_articles": len(articles),
        "source_macros": len(macros),
        "vocabulary": len(set(vocab)),
        "kb_mib": round(total_bytes / 2**20, 2),
    }


# --------------------------------------------------------------------------- measuring
def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak RSS of this process, or (``RUSAGE_CHILDREN``) of the largest child that has ended: the index
    builder process and its writers."""
    peak = resource.getrusage(who).ru_maxrss
    return round(peak / 2**20 if sys.platform == "darwin" else peak / 1024, 1)  # bytes on macOS, KiB on Linux


def folder_mib(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 2)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def time_each(
    texts: Sequence[str], fn: Callable[[str], Any], rounds: int, log: Callable[[str], None] | None = None
) -> list[float]:
    """Seconds per call of ``fn`` on each text, ``rounds`` times over; ``log`` hears of slow progress."""
    samples: list[float] = []
    total = rounds * len(texts)
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            fn(text)
            samples.append(time.perf_counter() - started)
            if log and sum(samples) > 30 and len(samples) % 20 == 0:
                log(f"  {len(samples)}/{total}, median so far {statistics.median(samples) * 1000:.0f} ms")
    return samples


def long_cases(texts: Sequence[str], seed: int) -> list[str]:
    """~300-word cases: eval case texts joined (in a seeded order) until they reach the length."""
    rng = random.Random(seed)
    pool = list(texts)
    rng.shuffle(pool)
    out: list[str] = []
    i = 0
    while len(out) < LONG_CASES:
        parts: list[str] = []
        words = 0
        while words < LONG_CASE_WORDS:
            text = pool[i % len(pool)]
            i += 1
            parts.append(text.strip())
            words += len(text.split())
        out.append("\n\n".join(parts))
    return out


def with_typo(query: str) -> str:
    """The query with one letter dropped from its longest word (a typo did_you_mean should fix)."""
    words = query.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) >= 5:
        middle = len(word) // 2
        words[longest] = word[:middle] + word[middle + 1 :]
    return " ".join(words)


def run(
    n_articles: int, seed: int, work: Path, log: Callable[[str], None], options: argparse.Namespace
) -> tuple[list[Figure], dict[str, str], str]:
    """One size: the synthetic KB, the engines compared, KB Assist's own details; (figures, labels, heading)."""
    os.environ["KBASSIST_HOME"] = str(work / "home")
    os.environ.pop("KBASSIST_KB", None)
    kb_root = work / "kb"
    log(f"writing a synthetic KB of {n_articles} articles and {n_articles // 2} macros ...")
    seconds, kb = timed(lambda: generate_kb(kb_root, n_articles, seed))
    heading = (
        f"{kb['articles']} articles + {kb['macros']} macros (cloned from {kb['source_articles']} + "
        f"{kb['source_macros']}; {kb['kb_mib']} MiB of Markdown, generated in {seconds:.1f} s)"
    )
    cases = [c.text for c in load_cases(DEFAULT_CASES)]
    work_load = Workload(
        cases[: options.cases] if options.cases else cases, long_cases(cases, seed), list(SHORT_QUERIES), options.rounds
    )
    labels = {
        metric: label.format(
            cases=len(work_load.cases),
            longs=len(work_load.longs),
            words=f"{statistics.median(len(t.split()) for t in work_load.longs):.0f}",
            typed=len(work_load.typed),
            gui=len(work_load.cases[:GUI_CASES]),
        )
        for metric, (label, _unit) in METRICS.items()
    }
    comparison = Comparison(n_articles, kb_root, work, log)
    try:
        comparison.build(options.engines, work_load.cases[0], work_load.cases[:GUI_CASES])
        extra: dict[str, Callable[[str], Any]] = {}
        kbassist = comparison.open.get("kbassist")
        if isinstance(kbassist, KbAssist) and options.baseline:
            extra[WHOOSH] = lambda text: baseline_rank(kbassist.engine, text, "article")
        comparison.time_queries(work_load, extra)
        docs = sorted(documents(kb_root), key=lambda d: d.id)
        comparison.edit(random.Random(seed + 2).choice(docs))
        if isinstance(kbassist, KbAssist):
            log("KB Assist: incremental updates and did-you-mean ...")
            comparison.figures += measure_details(
                kbassist.engine, kb_root, work / "index-kbassist", seed, n_articles, work_load.cases
            )
    finally:
        comparison.close()
    return comparison.figures, labels, heading


DETAILS: dict[str, tuple[str, str]] = {
    "index_documents": ("documents in the index", "docs"),
    "index_size": ("index size on disk (after build)", "MiB"),
    "update_unchanged": ("update, nothing changed", "s"),
    "update_touched_10": ("update, 10 files touched (mtime only)", "s"),
    "update_changed_10": ("update, 10 files changed", "s"),
    "update_one_reported": ("update, 1 file changed that a watcher reported", "s"),
    "speller_rebuild": ("did-you-mean word list (after the update)", "s"),
    "index_size_after_updates": ("index size on disk (after the updates)", "MiB"),
    "did_you_mean_p50": ("did_you_mean, 30 short queries with a typo: median", "ms"),
    "did_you_mean_fixed": ("did_you_mean: queries it corrected", "queries"),
    "suggest_vectors_p50": ("a case answered with the KB's vectors: median", "ms"),
    "suggest_vectors_p95": ("a case answered with the KB's vectors: p95", "ms"),
    "peak_rss_this_process": ("peak RSS of this process (all engines open, all queries)", "MiB"),
}

COUNTS = ("docs", "queries")


def measure_details(
    engine: SearchEngine, kb_root: Path, index_root: Path, seed: int, n_articles: int, cases: Sequence[str]
) -> list[Figure]:
    """KB Assist only: incremental updates (nothing, 10 files touched, 10 changed, one reported), the
    did-you-mean word list, the index's size, ``cases`` answered with the KB's vectors and this process's peak
    RSS."""
    out: dict[str, float] = {"index_documents": engine.index.doc_count(), "index_size": folder_mib(index_root)}
    out["update_unchanged"] = timed(engine.update)[0]
    files = sorted(kb_root.rglob("*.md"))
    picked = random.Random(seed + 1).sample(files, min(CHANGED_FILES, len(files)))
    later = time.time() + 5
    for path in picked:
        os.utime(path, (later, later))
    out["update_touched_10"] = timed(engine.update)[0]
    for path in picked:
        path.write_text(path.read_text("utf-8") + "\nOne more line so the file really changed.\n", "utf-8")
    out["update_changed_10"] = timed(engine.update)[0]
    # An edit in the window: the watcher reports the one file, the update reads only it.
    edited = picked[0]
    edited.write_text(edited.read_text("utf-8") + "\nAnd one more.\n", "utf-8")
    out["update_one_reported"] = timed(lambda: engine.update(changed=[edited]))[0]
    # The "did you mean" word list is rebuilt lazily after every commit; the first query after an update pays it.
    out["speller_rebuild"] = timed(engine.index.speller)[0]
    out["index_size_after_updates"] = folder_mib(index_root)
    typos = [with_typo(q) for q in SHORT_QUERIES]
    out["did_you_mean_fixed"] = sum(engine.did_you_mean(t) is not None for t in typos)
    out["did_you_mean_p50"] = statistics.median(time_each(typos, engine.did_you_mean, 3)) * 1000
    out |= suggest_with_vectors(kb_root, index_root, cases)
    out["peak_rss_this_process"] = peak_rss_mib()
    return [Figure(k, n_articles, "kbassist", round(v, 3), DETAILS[k][1]) for k, v in out.items()]


class SyntheticEmbedder:
    """Random unit vectors under the real model's version: what a suggestion costs with vectors does not
    depend on their values, and embedding 15,000 documents with the model takes ten minutes here."""

    def __init__(self, seed: int) -> None:
        self.version = Embedder().version
        self._rng = np.random.default_rng(seed)

    def embed(self, texts: Sequence[str], _max_tokens: int = 0) -> np.ndarray:
        vectors = self._rng.normal(size=(len(texts), DIMENSIONS)).astype(np.float32)
        unit: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        return unit


def suggest_with_vectors(kb_root: Path, index_root: Path, cases: Sequence[str]) -> dict[str, float]:
    """A suggestion as the app makes it once the KB has vectors: the case embedded by the real model, ranked
    against every document's vector and fused with the words' ranking (the documents' vectors synthetic,
    written to the embedding cache as the app writes its own)."""
    with SearchEngine(kb_root, index_root=index_root, embedder=SyntheticEmbedder(7)) as filler:
        filler.prepare_dense()
    with SearchEngine(kb_root, index_root=index_root) as engine:
        if engine.dense_table() is None:
            return {}
        engine.suggest(cases[0])  # loads the model and the vectors
        seconds = time_each(cases, engine.suggest, 1)
    return {
        "suggest_vectors_p50": statistics.median(seconds) * 1000,
        "suggest_vectors_p95": percentile(seconds, 0.95) * 1000,
    }


# --------------------------------------------------------------------------- output
def format_size(figures: Sequence[Figure], labels: dict[str, str], heading: str) -> str:
    compared = [f for f in figures if f.metric in METRICS]
    lines = [f"KB Assist search benchmark — {heading}", "", "Engines (ratio to tantivy in brackets)"]
    lines.append(comparison_table(compared, labels))
    details = [f for f in figures if f.metric in DETAILS]
    if details:
        lines += ["", "KB Assist in detail"]
        lines += [
            f"  {DETAILS[f.metric][0]:60}{f.value:>12,.{0 if f.unit in COUNTS else 3}f} {f.unit}" for f in details
        ]
    return "\n".join(lines)


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r} (e.g. 2000,10000)") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("every size must be at least 1 article")
    return sizes


def parse_engines(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in ENGINES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown engine(s) {unknown}; choose from {','.join(ENGINES)}")
    return list(dict.fromkeys(names))


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--articles",
        type=parse_sizes,
        default=[10_000],
        help="articles in the synthetic KB, several sizes comma-separated (default 10000)",
    )
    parser.add_argument(
        "--engines",
        type=parse_engines,
        default=["kbassist"],
        help=f"engines to compare, comma-separated from {','.join(ENGINES)} (default kbassist)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per figure instead of the tables")
    parser.add_argument("--seed", type=int, default=1234, help="seed for the synthetic KB (default 1234)")
    parser.add_argument("--rounds", type=int, default=1, help="times each case is timed (default 1)")
    parser.add_argument("--cases", type=int, default=None, help="time only the first N eval cases (default all)")
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip Whoosh's plain BM25 OR query on KB Assist's index (slow at 10,000 articles)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders and print where they are")
    args = parser.parse_args(argv)
    args.rounds = max(args.rounds, 1)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    for name in list(args.engines):
        reason = missing(name)
        if reason:
            log(reason)
            args.engines.remove(name)
    if not args.engines:
        log("no engine left to measure")
        return 2
    if not args.json:
        print(f"Python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs")
    # The fresh processes start as an installed app does, from compiled bytecode (pip compiles at install):
    # with PYTHONDONTWRITEBYTECODE set, a module edited since its last compile was compiled again in each.
    compileall.compile_dir(str(Path(kbassist.__file__).parent), quiet=1)
    for n_articles in args.articles:
        work = Path(tempfile.mkdtemp(prefix="kbassist-bench-"))
        try:
            if args.keep:
                log(f"working folder: {work}")
            figures, labels, heading = run(n_articles, args.seed, work, log, args)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        print(
            "\n".join(f.json() for f in figures) if args.json else f"\n{format_size(figures, labels, heading)}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
