"""Speed and memory figures for KB Assist's search on a large synthetic knowledge base.

Run from the repository root:

    .venv/bin/python bench/bench_search.py                 # 10,000 articles + 5,000 macros
    .venv/bin/python bench/bench_search.py --articles 500  # a quick run
    .venv/bin/python bench/bench_search.py --json          # one JSON object instead of the table

What it does: clones the bundled KB (kb/) into a temporary folder until it holds N articles and N//2 macros
(the first copy of each file verbatim, later copies with ids, titles and words varied; seeded, so every run
writes the same KB), then measures

* index: full build (``SearchEngine(kb, index_root=tmp).update()``), an update with nothing changed, after
  touching 10 files (mtime only), after changing 10 files and of one changed file a watcher reported, the
  "did you mean" word list rebuilt after a commit, the index's size on disk, and the peak RSS (``ru_maxrss``)
  of this process before and after the build and of the index builder process;
* suggestions: ``SearchEngine.suggest`` latency on the eval cases (tests/eval/cases.yaml) and on ~20 long
  cases (~300 words, several eval cases joined), next to the plain BM25 baseline on the same engine (the
  whole case as one OR query, ``evaluation.baselines.baseline_rank``), so the cost of KB Assist's ranking is visible;
* typed search (``SearchEngine.search``) on 30 short queries and ``did_you_mean`` on the same queries with a
  typo, then the peak RSS after all queries.

Everything, including KBASSIST_HOME, lives in a temporary folder that is removed afterwards (``--keep`` keeps
it). Timings are wall-clock figures for this machine; nothing here asserts a target.
"""

from __future__ import annotations

import argparse
import gc
import json
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

import yaml

from kbassist.content.loader import load_kb
from kbassist.content.model import Article, KbItem, Macro
from kbassist.evaluation.baselines import baseline_rank
from kbassist.evaluation.sets import DEFAULT_CASES
from kbassist.evaluation.tickets import load_cases
from kbassist.search.engine import SearchEngine

REPO = Path(__file__).resolve().parents[1]

BUNDLED_KB = REPO / "kb"

REPLACE_SHARE = 0.25  # share of prose words replaced by words drawn from the KB's vocabulary
SWAP_SHARE = 0.10  # share of neighbouring word pairs swapped
LONG_CASES = 20
LONG_CASE_WORDS = 300
CHANGED_FILES = 10

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


def current_rss_mib() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def folder_mib(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 2)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def latency(samples: Sequence[float]) -> dict[str, float]:
    """Median, p95 and max in milliseconds."""
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(p95, 2),
        "max_ms": round(ms[-1], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


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
    n_articles: int,
    seed: int,
    rounds: int,
    max_cases: int | None,
    work: Path,
    log: Callable[[str], None],
    *,
    baseline: bool = True,
) -> dict[str, Any]:
    os.environ["KBASSIST_HOME"] = str(work / "home")
    os.environ.pop("KBASSIST_KB", None)
    kb_root = work / "kb"
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "settings": {"articles": n_articles, "seed": seed, "rounds": rounds, "max_cases": max_cases},
    }

    log(f"writing a synthetic KB of {n_articles} articles and {n_articles // 2} macros ...")
    seconds, kb_info = timed(lambda: generate_kb(kb_root, n_articles, seed))
    kb_info["generate_s"] = round(seconds, 2)
    results["kb"] = kb_info
    gc.collect()
    engine, results["index"] = measure_index(kb_root, work / "index", seed, log)
    log(f"suggestion latency ({rounds} round(s)) ...")
    results["suggest"] = measure_suggest(engine, seed, rounds, max_cases, log, baseline=baseline)
    log("typed search and did-you-mean latency ...")
    results["typed"] = measure_typed(engine, rounds)
    results["memory"] = {
        "peak_rss_before_build_mib": results["index"]["peak_rss_before_build_mib"],
        "peak_rss_after_build_mib": results["index"]["peak_rss_after_build_mib"],
        "peak_rss_builder_mib": results["index"]["peak_rss_builder_mib"],
        "peak_rss_after_queries_mib": peak_rss_mib(),
        "rss_now_mib": current_rss_mib(),
    }
    engine.close()
    return results


def measure_index(
    kb_root: Path, index_root: Path, seed: int, log: Callable[[str], None]
) -> tuple[SearchEngine, dict[str, Any]]:
    """The full build, incremental updates (nothing, 10 files touched, 10 changed), word lists, size, memory."""
    rss_before = peak_rss_mib()
    log("building the index ...")
    build_s, (engine, report) = timed(lambda: _build(kb_root, index_root, log))
    if report.problems:
        log(f"  {len(report.problems)} problem(s), first: {report.problems[0]}")
    index: dict[str, Any] = {
        "build_s": round(build_s, 2),
        "build_per_1000_docs_s": round(build_s / max(report.added, 1) * 1000, 2),
        "documents": engine.index.doc_count(),
        "problems": len(report.problems),
        "size_mib": folder_mib(index_root),
        "peak_rss_before_build_mib": rss_before,
        "peak_rss_after_build_mib": peak_rss_mib(),
        "peak_rss_builder_mib": peak_rss_mib(resource.RUSAGE_CHILDREN),
    }
    # The "did you mean" word list is rebuilt lazily after every commit; the first query after an update pays it.
    seconds, _ = timed(engine.index.speller)
    index["speller_build_s"] = round(seconds, 3)

    log("incremental updates ...")
    _timed_update(engine, index, "update_unchanged")
    files = sorted(kb_root.rglob("*.md"))
    picked = random.Random(seed + 1).sample(files, min(CHANGED_FILES, len(files)))
    later = time.time() + 5
    for path in picked:
        os.utime(path, (later, later))
    _timed_update(engine, index, "update_touched_10")
    for path in picked:
        text = path.read_text("utf-8")
        path.write_text(text + "\nOne more line so the file really changed.\n", "utf-8")
    _timed_update(engine, index, "update_changed_10")
    # An edit in the window: the watcher reports the one file, the update reads only it (and it is searchable).
    edited = picked[0]
    edited.write_text(edited.read_text("utf-8") + "\nAnd one more.\n", "utf-8")
    seconds, report = timed(lambda: engine.update(changed=[edited]))
    index["update_one_reported_s"] = round(seconds, 3)
    index["update_one_reported_report"] = _counts(report)
    seconds, _ = timed(engine.index.speller)
    index["speller_rebuild_after_change_s"] = round(seconds, 3)
    index["size_after_updates_mib"] = folder_mib(index_root)
    return engine, index


def _timed_update(engine: SearchEngine, index: dict[str, Any], key: str) -> None:
    seconds, report = timed(engine.update)
    index[f"{key}_s"] = round(seconds, 3)
    index[f"{key}_report"] = _counts(report)


def measure_suggest(
    engine: SearchEngine,
    seed: int,
    rounds: int,
    max_cases: int | None,
    log: Callable[[str], None],
    *,
    baseline: bool = True,
) -> dict[str, Any]:
    """``suggest`` on the eval cases and on long cases, beside the plain BM25 baseline on the same engine."""
    cases = [c.text for c in load_cases(DEFAULT_CASES)]
    longs = long_cases(cases, seed)
    if max_cases:
        cases = cases[:max_cases]
    engine.suggest(cases[0])  # warm-up: caches, first touch of the segment files
    baseline_rank(engine, cases[0], "article")

    def suggest(text: str) -> Any:
        return engine.suggest(text)

    def plain_bm25(text: str) -> Any:
        return baseline_rank(engine, text, "article")

    results: dict[str, Any] = {}
    for key, texts in (("eval_cases", cases), ("long_cases", longs)):
        log(f"  {key}: suggest")
        system = latency(time_each(texts, suggest, rounds, log))
        results[key] = {
            "cases": len(texts),
            "words_median": statistics.median(len(t.split()) for t in texts),
            "kb_assist": system,
        }
        if baseline:  # Whoosh's own OR query: 3.5 s a case at 10,000 articles, ten minutes of a run
            log(f"  {key}: BM25 baseline")
            results[key]["bm25_baseline"] = latency(time_each(texts, plain_bm25, rounds, log))
    return results


def measure_typed(engine: SearchEngine, rounds: int) -> dict[str, Any]:
    """Typed search on short queries, and "did you mean" on the same queries with a typo."""
    typos = [with_typo(q) for q in SHORT_QUERIES]
    engine.search(SHORT_QUERIES[0])
    corrected = sum(engine.did_you_mean(t) is not None for t in typos)
    short_rounds = max(rounds, 3)
    return {
        "queries": len(SHORT_QUERIES),
        "search": latency(time_each(SHORT_QUERIES, engine.search, short_rounds)),
        "did_you_mean": latency(time_each(typos, engine.did_you_mean, short_rounds)),
        "did_you_mean_corrected": corrected,
    }


def _build(kb_root: Path, index_root: Path, log: Callable[[str], None]) -> tuple[SearchEngine, Any]:
    def progress(done: int, total: int, _current: str) -> None:
        if done % 1000 == 0 or done == total:
            log(f"  indexed {done}/{total}")

    engine = SearchEngine(kb_root, index_root=index_root)
    return engine, engine.update(progress)


def _counts(report: Any) -> dict[str, int]:
    return {
        "added": report.added,
        "changed": report.changed,
        "removed": report.removed,
        "unchanged": report.unchanged,
        "problems": len(report.problems),
    }


# --------------------------------------------------------------------------- output
def format_table(r: dict[str, Any]) -> str:
    kb, ix, mem = r["kb"], r["index"], r["memory"]
    lines = [
        f"KB Assist search benchmark — {kb['articles']} articles + {kb['macros']} macros "
        f"(cloned from {kb['source_articles']} + {kb['source_macros']}; {kb['kb_mib']} MiB of Markdown, "
        f"generated in {kb['generate_s']} s)",
        f"Python {r['machine']['python']} on {r['machine']['platform']}, {r['machine']['cpus']} CPUs",
        "",
        "Index",
        f"  {'full build (SearchEngine + update)':52}{ix['build_s']:>10.2f} s"
        f"   ({ix['build_per_1000_docs_s']:.2f} s per 1000 documents, {ix['documents']} documents)",
        f"  {'update, nothing changed':52}{ix['update_unchanged_s']:>10.3f} s",
        f"  {'update, 10 files touched (mtime only)':52}{ix['update_touched_10_s']:>10.3f} s",
        f"  {'update, 10 files changed':52}{ix['update_changed_10_s']:>10.3f} s",
        f"  {'update, 1 file changed that a watcher reported':52}{ix['update_one_reported_s']:>10.3f} s",
        f"  {'did-you-mean word list (first query after build)':52}{ix['speller_build_s']:>10.3f} s",
        f"  {'did-you-mean word list (after the update)':52}{ix['speller_rebuild_after_change_s']:>10.3f} s",
        f"  {'index size on disk (after build)':52}{ix['size_mib']:>10.2f} MiB",
        f"  {'index size on disk (after the updates)':52}{ix['size_after_updates_mib']:>10.2f} MiB",
        "",
        "Memory (peak RSS of this process)",
        f"  {'before the build (KB generated)':52}{mem['peak_rss_before_build_mib']:>10.1f} MiB",
        f"  {'after the build':52}{mem['peak_rss_after_build_mib']:>10.1f} MiB",
        f"  {'the index builder process (largest child)':52}{mem['peak_rss_builder_mib']:>10.1f} MiB",
        f"  {'after all queries':52}{mem['peak_rss_after_queries_mib']:>10.1f} MiB",
    ]
    if mem.get("rss_now_mib") is not None:
        lines.append(f"  {'current RSS at the end':52}{mem['rss_now_mib']:>10.1f} MiB")
    lines += ["", f"Latency (ms){'':42}{'n':>6}{'median':>10}{'p95':>10}{'max':>10}{'mean':>10}"]

    def row(label: str, s: dict[str, float]) -> str:
        return (
            f"  {label:52}{s['n']:>6}{s['median_ms']:>10.1f}{s['p95_ms']:>10.1f}{s['max_ms']:>10.1f}"
            f"{s['mean_ms']:>10.1f}"
        )

    sug = r["suggest"]
    for key, label in (("eval_cases", "eval cases"), ("long_cases", "long cases")):
        block = sug[key]
        words = f"{block['cases']} {label}, median {block['words_median']:.0f} words"
        lines.append(row(f"suggest — {words}", block["kb_assist"]))
        if "bm25_baseline" in block:
            lines.append(row(f"BM25 baseline — {words}", block["bm25_baseline"]))
            ratio = block["kb_assist"]["median_ms"] / max(block["bm25_baseline"]["median_ms"], 1e-9)
            lines.append(f"  {'':52}suggest / baseline (median): {ratio:.1f}x")
    typed = r["typed"]
    lines.append(row(f"search — {typed['queries']} short queries", typed["search"]))
    lines.append(
        row(f"did_you_mean — same with a typo ({typed['did_you_mean_corrected']} fixed)", typed["did_you_mean"])
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000, help="articles in the synthetic KB (default 10000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--seed", type=int, default=1234, help="seed for the synthetic KB (default 1234)")
    parser.add_argument("--rounds", type=int, default=1, help="times each case is timed (default 1)")
    parser.add_argument("--cases", type=int, default=None, help="time only the first N eval cases (default all)")
    parser.add_argument("--no-baseline", action="store_true", help="skip Whoosh's plain BM25 OR query (slow)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print where it is")
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be at least 1")

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="kbassist-bench-"))
    try:
        if args.keep:
            log(f"working folder: {work}")
        results = run(
            args.articles, args.seed, max(args.rounds, 1), args.cases, work, log, baseline=not args.no_baseline
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2) if args.json else format_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
