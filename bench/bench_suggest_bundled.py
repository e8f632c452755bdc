"""What the dense half of the ranking costs on the bundled KB: latency, memory and disk.

    .venv/bin/python bench/bench_suggest_bundled.py [--json]

Runs `SearchEngine.suggest` on every field-set case (tests/eval/field.yaml, both splits: latency does not
depend on labels) with the embedding model and without it, on one warm engine each, and prints the median
and p95, the time to load the model and embed the KB the first time, the process's peak RSS with and
without the model, and the size of the model files and of onnxruntime and tokenizers on disk. Everything
lives in a temporary KBASSIST_HOME. Nothing here asserts a target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _latencies(engine: object, texts: list[str]) -> dict[str, float]:
    for text in texts[:5]:  # warm the per-commit caches
        engine.suggest(text)  # type: ignore[attr-defined]
    times = []
    for text in texts:
        started = time.perf_counter()
        engine.suggest(text)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * len(times))], 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ["KBASSIST_HOME"] = tempfile.mkdtemp(prefix="kbassist-bench-")
    import onnxruntime
    import tokenizers

    from kbassist.evaluation.field import load_field_cases
    from kbassist.evaluation.sets import FIELD_SET
    from kbassist.search.dense import model_dir
    from kbassist.search.engine import SearchEngine

    texts = [c.text for c in load_field_cases(FIELD_SET)]
    out: dict[str, object] = {"cases": len(texts)}
    lexical = SearchEngine(REPO / "kb", embedder=False)
    lexical.update()
    out["lexical_only"] = _latencies(lexical, texts)
    out["rss_lexical_mib"] = round(_rss_mib(), 1)
    lexical.close()
    hybrid = SearchEngine(REPO / "kb", index_root=Path(os.environ["KBASSIST_HOME"]) / "ix2")
    hybrid.update()
    started = time.perf_counter()
    hybrid.prepare_dense()
    out["first_embedding_of_kb_s"] = round(time.perf_counter() - started, 2)
    out["documents"] = hybrid.index.doc_count()
    out["hybrid"] = _latencies(hybrid, texts)
    out["rss_hybrid_mib"] = round(_rss_mib(), 1)
    hybrid.close()
    out["disk_mib"] = {
        "model_files": round(_du(model_dir()) / 2**20, 1),
        "onnxruntime": round(_du(Path(onnxruntime.__file__).parent) / 2**20, 1),
        "tokenizers": round(_du(Path(tokenizers.__file__).parent) / 2**20, 1),
    }
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key:26} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
