"""Sentence embeddings of the KB and of a case, for the dense half of the hybrid ranking.

Where a developer's words and the KB's differ ("my webhook handler gets 400 Bad Request" against "Webhook
signature verification failed"), BM25 finds nothing to match and a small sentence-embedding model still
sees the topic. The model is all-MiniLM-L6-v2 (Apache-2.0), exported to ONNX with int8 weights: 23 MB on
disk, shipped in ``resources/models`` with its tokenizer and a SHA-256 list that is checked before the
model is loaded, run by onnxruntime. Nothing is downloaded. Its weights are stored unsigned so that every
x86 CPU computes the same vectors (``tools/requantize_model.py``: signed, a CPU without VNNI saturated).

Costs on the 2-core development machine (bench/bench_suggest_bundled.py, 277 field-set cases, bundled KB
of 269 documents): a suggestion takes 68 ms median and 91 ms p95 with the model, against 34 / 69 ms by
words alone (the case is embedded on the second core while the words are ranked); embedding the KB the
first time takes about 19 s, after which vectors are kept in the cache folder, keyed by each file's
signature, so only new or changed documents are embedded again; peak memory 539 MiB against 231 MiB
(during that first embedding); on disk 22 MiB of model files, 76 MiB for onnxruntime, 11 MiB for tokenizers.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import numpy as np

from kbassist import paths
from kbassist.content.model import ItemKind
from kbassist.search.process_memory import return_freed_memory

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# all-MiniLM-L6-v2 was trained on 128 word pieces; its position table goes to 512. A case's first 128
# pieces carry its topic (longer windows cost time and let logs dilute it); a KB document gets 256 so its
# title, symptoms and first section all count.
CASE_TOKENS = 128
DOC_TOKENS = 256
# Documents embedded between checks for a stop and reports of progress when embedding the KB. Each text is
# one run of the model: its int8 matrix products scale their input by its largest value, so a document's
# vector would depend on what it was batched with (cosine 0.995 to itself alone); one at a time is also faster
# here (bundled articles, 256 pieces: 23.9 documents/s, 14.2 in runs of 4: no padding to the longest).
BATCH = 8
INTRA_THREADS = min(2, os.cpu_count() or 1)  # both cores: p95 91 ms for a suggestion, 108 ms with one


class DenseUnavailableError(RuntimeError):
    """The model files are missing or do not match their checksums: ranking runs lexical only."""


def model_dir() -> Path:
    return paths.resources_dir() / "models" / MODEL_NAME


def _verify(folder: Path) -> None:
    sums = folder / "SHA256SUMS"
    try:
        lines = sums.read_text("utf-8").splitlines()
    except OSError as exc:
        raise DenseUnavailableError(f"embedding model checksums missing: {sums}") from exc
    for line in lines:
        if not line.strip():
            continue
        digest, name = line.split(maxsplit=1)
        target = folder / name.strip().lstrip("*")
        try:
            actual = hashlib.sha256(target.read_bytes()).hexdigest()
        except OSError as exc:
            raise DenseUnavailableError(f"embedding model file missing: {target.name}") from exc
        if actual != digest:
            raise DenseUnavailableError(f"embedding model file damaged (checksum differs): {target.name}")


class Embedder:
    """The ONNX model and its tokenizer, loaded on first use; safe to call from several threads."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or model_dir()
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        if self._session is not None:
            return
        _verify(self.folder)
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = INTRA_THREADS
        options.inter_op_num_threads = 1
        # ORT's worker threads spin while waiting by default, taking the core the lexical ranking runs on.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        # Without its arena and memory patterns ORT frees what each run used: a case's length differs every
        # time, and with them p95 was 56 ms instead of 37 ms (field set, 128 pieces) for the same memory.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        self._tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._tokenizer.no_padding()  # its file pads every text to 128 pieces; a text runs alone, unpadded
        self._session = ort.InferenceSession(
            str(self.folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    @property
    def version(self) -> str:
        """Identifies the vectors: a cache made with another model or window is not reused."""
        return f"{MODEL_NAME}-u8-matmul-{DOC_TOKENS}"  # u8: unsigned weights, the same vectors on every CPU

    def embed(self, texts: Sequence[str], max_tokens: int = CASE_TOKENS) -> np.ndarray:
        """Unit-length mean-pooled embeddings, one row per text (float32)."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            self._load()
            self._tokenizer.enable_truncation(max_tokens)
            return np.vstack([self._run(text) for text in texts])

    def _run(self, text: str) -> np.ndarray:
        """One text's vector (a row), from one run of the model: alone, it answers the same in any company."""
        ids = np.array([self._tokenizer.encode(text).ids], dtype=np.int64)
        hidden = self._session.run(
            None, {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        )[0]
        vector = hidden.mean(axis=1)
        unit: np.ndarray = (vector / np.maximum(np.linalg.norm(vector, axis=1, keepdims=True), 1e-9)).astype(np.float32)
        return unit


_MARKUP = re.compile(r"[#*_`>|\[\]()]+|\{\{[^}]*\}\}|https?://\S+")


def document_text(fields: dict[str, Any]) -> str:
    """What a KB document is embedded from: its title, tags and body, Markdown marks and placeholders removed."""
    meta = fields.get("meta") or {}
    body = re.sub(r"\s+", " ", _MARKUP.sub(" ", str(fields.get("markdown", ""))))
    return f"{fields.get('title', '')}. {', '.join(meta.get('tags', ()))}.\n{body}"


@dataclass(frozen=True, slots=True)
class DenseTable:
    """Every KB document's vector, rows aligned with ``ids``."""

    ids: tuple[str, ...]
    kinds: tuple[ItemKind, ...]
    products: tuple[str, ...]
    titles: tuple[str, ...]
    vectors: np.ndarray  # (n, DIMENSIONS) float32, unit rows
    signatures: tuple[str, ...] = ()  # each row's file signature: what the next commit's table reuses
    # kind -> (its rows in order, its ids' rows): made once per table, read by every case's ranking
    _by_kind: dict[ItemKind, tuple[np.ndarray, dict[str, int]]] = field(default_factory=dict, compare=False, repr=False)

    def similarities(self, query: np.ndarray) -> np.ndarray:
        return self.vectors @ query if len(self.ids) else np.zeros(0, dtype=np.float32)

    def rows_of(self, kind: ItemKind) -> tuple[np.ndarray, dict[str, int]]:
        """(the rows of ``kind``, in order; each of their ids' row): the last row of an id that appears twice."""
        known = self._by_kind.get(kind)
        if known is None:
            rows = np.flatnonzero(np.fromiter((k == kind for k in self.kinds), dtype=bool, count=len(self.kinds)))
            known = self._by_kind[kind] = (rows, {self.ids[row]: int(row) for row in rows})
        return known

    def by_signature(self) -> dict[str, np.ndarray]:
        return dict(zip(self.signatures, self.vectors, strict=True)) if self.signatures else {}


MAX_CACHED_VECTORS = 20_000  # rows kept in the shared cache (30 MB): every KB of a desktop and its recent edits


def cache_file(version: str) -> Path:
    """One cache per model version, shared by every KB folder: a vector depends only on the file's bytes."""
    return paths.cache_dir() / "vectors" / f"{version}.npz"


def missing_count(stored: Sequence[dict[str, Any]], embedder: Embedder, previous: DenseTable | None = None) -> int:
    """How many of ``stored`` have no vector yet (in ``previous``, the last commit's table, or the cache)."""
    known = previous.by_signature() if previous is not None else {}
    unknown = [f for f in stored if f.get("signature") not in known]
    if not unknown:
        return 0
    cached = _read_cache(cache_file(embedder.version), embedder.version)
    return sum(f.get("signature") not in cached for f in unknown)


def build_table(
    stored: Sequence[dict[str, Any]],
    embedder: Embedder,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int], None] | None = None,
    previous: DenseTable | None = None,
    whole: Callable[[dict[str, Any]], dict[str, Any]] = lambda fields: fields,
) -> DenseTable:
    """Vectors for the stored documents (stored fields or records), reusing those of ``previous`` (the last
    commit's table) and those cached under the same file signature; ``whole`` gives a document's stored
    fields, Markdown included, for the few that must be embedded."""
    known = previous.by_signature() if previous is not None else {}
    path = cache_file(embedder.version)
    cached = {} if all(f.get("signature") in known for f in stored) else _read_cache(path, embedder.version)
    rows: dict[str, np.ndarray] = {}
    for fields in stored:
        signature = fields.get("signature", "")
        if (vector := known.get(signature, cached.get(signature))) is not None:
            rows[fields["id"]] = vector
    missing = [f for f in stored if f["id"] not in rows]
    done = 0
    for start in range(0, len(missing), BATCH):
        if should_stop():
            break
        chunk = missing[start : start + BATCH]
        vectors = embedder.embed([document_text(whole(f)) for f in chunk], DOC_TOKENS)
        for fields, vector in zip(chunk, vectors, strict=True):
            rows[fields["id"]] = vector
            cached[fields.get("signature", "")] = vector
        done += len(chunk)
        if progress:
            progress(done, len(missing))
    if missing:
        return_freed_memory()
        current = {f.get("signature", ""): rows[f["id"]] for f in stored if f["id"] in rows}
        older = [(k, v) for k, v in cached.items() if k not in current]
        keep = max(MAX_CACHED_VECTORS - len(current), 0)
        _write_cache(path, embedder.version, current | dict(older[-keep:] if keep else []))
    present = [f for f in stored if f["id"] in rows]
    matrix = np.vstack([rows[f["id"]] for f in present]) if present else np.zeros((0, DIMENSIONS), np.float32)
    return DenseTable(
        tuple(f["id"] for f in present),
        tuple(ItemKind(f["kind"]) for f in present),
        tuple(f["product"] for f in present),
        tuple(f["title"] for f in present),
        matrix.astype(np.float32, copy=False),  # a copy of 15,000 vectors is 23 MB
        tuple(f.get("signature", "") for f in present),
    )


def _read_cache(path: Path, version: str) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["version"]) != version:
                return {}
            return dict(zip((str(s) for s in data["signatures"]), data["vectors"], strict=True))
    except (OSError, ValueError, KeyError) as exc:  # a cache: missing or damaged means embed again
        if path.exists():
            log.warning("embedding cache unreadable (%s); embedding the KB again", exc)
        return {}


def _write_cache(path: Path, version: str, vectors: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            tmp,
            version=np.array(version),
            signatures=np.array(list(vectors)),
            vectors=np.vstack(list(vectors.values())) if vectors else np.zeros((0, DIMENSIONS), np.float32),
        )
        tmp.replace(path)
    except OSError as exc:  # read-only cache: the vectors still serve this process
        log.warning("could not keep the embedding cache (%s)", exc)
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class DenseHit:
    id: str
    kind: ItemKind
    product: str
    title: str
    similarity: float


@dataclass(frozen=True, slots=True)
class DenseScores:
    """One case's cosine similarity to every KB document."""

    table: DenseTable
    similarities: np.ndarray

    def ranked(self, kind: ItemKind) -> DenseRanking:
        """Documents of ``kind``, most similar first."""
        rows, by_id = self.table.rows_of(kind)  # each kind sorted alone: ties stay in row order, as in one sort
        order = rows[np.argsort(-self.similarities[rows], kind="stable")]
        return DenseRanking(self.table, self.similarities, order, by_id)


class DenseRanking(Sequence[DenseHit]):
    """One kind's documents, most similar first, each hit made when it is read: a case reads the first few
    and the similarity of its own candidates. Made as a list of every document (10,000 hits for the articles,
    5,000 for the macros, and a dictionary of each), a suggestion at 10,000 articles with vectors took 104-114
    ms median; 45 ms made hit by hit."""

    def __init__(self, table: DenseTable, similarities: np.ndarray, order: np.ndarray, rows: dict[str, int]) -> None:
        self._table = table
        self._similarities = similarities
        self._order = order
        self._rows = rows

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> DenseHit: ...

    @overload
    def __getitem__(self, index: slice) -> list[DenseHit]: ...

    def __getitem__(self, index: int | slice) -> DenseHit | list[DenseHit]:
        if isinstance(index, slice):
            return [self._hit(int(row)) for row in self._order[index]]
        return self._hit(int(self._order[index]))

    def similarity(self, item_id: str) -> float | None:
        """The document's similarity to the case; None when it is not of this kind or has no vector."""
        row = self._rows.get(item_id)
        return None if row is None else float(self._similarities[row])

    def _hit(self, row: int) -> DenseHit:
        t = self._table
        return DenseHit(t.ids[row], t.kinds[row], t.products[row], t.titles[row], float(self._similarities[row]))
