"""The sentence-embedding model: shipped with checksums, loaded offline, cached by file signature, and a
damaged model leaves ranking lexical with a clear message instead of failing."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import article
from kbassist.content.model import ItemKind
from kbassist.search.dense import (
    DOC_TOKENS,
    DenseHit,
    DenseScores,
    DenseTable,
    DenseUnavailableError,
    Embedder,
    build_table,
    cache_file,
    model_dir,
)
from kbassist.search.engine import SearchEngine


def test_similar_sentences_are_close_and_unrelated_ones_far() -> None:
    vectors = Embedder().embed(
        [
            "my customer says the refund never arrived",
            "Refund not showing on the customer's statement yet",
            "How do I rotate my API secret key",
        ]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > 0.6
    assert vectors[0] @ vectors[2] < 0.2


def test_a_texts_vector_does_not_depend_on_the_texts_embedded_with_it() -> None:
    """The model's int8 products scale each run's input by its largest value: texts run together would move
    each other's vectors, so a cached document would not be what embedding it again gives."""
    embedder = Embedder()
    text = "Payout failed: the bank account was closed, what do I do with the returned funds?"
    alone = embedder.embed([text], DOC_TOKENS)
    among = embedder.embed(["short", text, "A much longer text about disputes and evidence " * 20], DOC_TOKENS)
    assert np.array_equal(alone[0], among[1])
    assert np.array_equal(alone, embedder.embed([text], DOC_TOKENS))


def _damaged_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(model_dir(), folder)
    with (folder / "tokenizer.json").open("ab") as f:
        f.write(b" ")
    return folder


def test_a_damaged_model_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DenseUnavailableError, match="checksum"):
        Embedder(_damaged_copy(tmp_path)).embed(["refund"])


def test_the_engine_ranks_lexically_when_the_model_is_damaged(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    article(kb, "refunds", "late", "Refund not arrived", "## How users describe it\n- the refund never arrived\n")
    engine = SearchEngine(kb, index_root=tmp_path / "index", embedder=Embedder(_damaged_copy(tmp_path)))
    engine.update()
    assert not engine.prepare_dense()
    result = engine.suggest("my customer says the refund never arrived")
    assert [a.id for a in result.articles] == ["refunds-late"]
    assert any("checksum" in m for m in engine.index.messages)
    engine.close()


class CountingEmbedder(Embedder):
    """The real model, counting the texts it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def embed(self, texts, max_tokens=128):  # type: ignore[no-untyped-def]
        self.texts += len(texts)
        return super().embed(texts, max_tokens)


def test_vectors_are_cached_by_file_signature(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    article(kb, "refunds", "late", "Refund not arrived", "Refunds take 5-10 business days.")
    first = article(kb, "payouts", "failed", "Payout failed", "The bank returned the payout.")
    cache_file(Embedder().version).unlink(missing_ok=True)
    embedder = CountingEmbedder()
    engine = SearchEngine(kb, index_root=tmp_path / "index", embedder=embedder)
    engine.update()
    assert engine.prepare_dense()
    assert embedder.texts == 2
    first.write_text(first.read_text("utf-8") + "\nUpdate the bank account.\n", "utf-8")
    engine.update()
    table = engine.dense_table()
    assert table is not None and set(table.ids) == {"refunds-late", "payouts-failed"}
    assert embedder.texts == 3  # only the edited article was embedded again
    engine.close()
    with SearchEngine(kb, index_root=tmp_path / "index2", embedder=(again := CountingEmbedder())) as fresh:
        fresh.update()
        assert fresh.prepare_dense() and again.texts == 0  # a new index of the same files reuses the cache


def test_a_damaged_cache_is_embedded_again(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    article(kb, "refunds", "late", "Refund not arrived", "Refunds take 5-10 business days.")
    path = cache_file(Embedder().version)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a numpy file")
    engine = SearchEngine(kb, index_root=tmp_path / "index")
    engine.update()
    with engine.index.searcher() as searcher:
        stored = list(searcher.all_stored_fields())
    table = build_table(stored, Embedder())
    assert table.ids == ("refunds-late",) and table.vectors.shape == (1, 384)
    engine.close()


class HeldEmbedder(Embedder):
    """The real model, whose embedding of KB documents waits until the test lets it go on."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def embed(self, texts, max_tokens=128):  # type: ignore[no-untyped-def]
        if max_tokens == DOC_TOKENS:
            self.entered.set()
            self.release.wait(60)
        return super().embed(texts, max_tokens)


def test_a_suggestion_never_waits_for_the_kb_being_embedded(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    article(kb, "refunds", "late", "Refund not arrived", "## How users describe it\n- the refund never arrived\n")
    cache_file(Embedder().version).unlink(missing_ok=True)
    embedder = HeldEmbedder()
    engine = SearchEngine(kb, index_root=tmp_path / "index", embedder=embedder)
    engine.update()
    preparing = threading.Thread(target=engine.prepare_dense)
    preparing.start()
    assert embedder.entered.wait(60)
    answered: list[object] = []
    asking = threading.Thread(target=lambda: answered.append(engine.suggest("the refund never arrived")))
    asking.start()
    asking.join(60)
    finished_while_held = not asking.is_alive()
    embedder.release.set()
    preparing.join(60)
    asking.join(60)
    assert finished_while_held
    assert [a.id for a in answered[0].articles] == ["refunds-late"]  # type: ignore[attr-defined]
    assert engine.dense_table() is not None  # and once embedded, the vectors serve
    engine.close()


def test_a_ranking_reads_as_every_document_of_its_kind_most_similar_first() -> None:
    """Hits are made as they are read (a case reads a few of 10,000): the same hits, in the same order (ties
    in row order), as the list of every document the ranking used to be."""
    rng = np.random.default_rng(7)
    kinds = tuple(ItemKind.ARTICLE if i % 3 else ItemKind.MACRO for i in range(40))
    vectors = rng.normal(size=(40, 4)).astype(np.float32)
    vectors[5] = vectors[11]  # a tie between two articles
    table = DenseTable(
        tuple(f"doc-{i}" for i in range(40)),
        kinds,
        tuple("refunds" if i % 2 else "payouts" for i in range(40)),
        tuple(f"Title {i}" for i in range(40)),
        vectors,
    )
    query = rng.normal(size=4).astype(np.float32)
    similarities = table.similarities(query)
    scores = DenseScores(table, similarities)
    for kind in ItemKind:
        rows = sorted((i for i in range(40) if kinds[i] == kind), key=lambda i: (-similarities[i], i))
        expected = [DenseHit(f"doc-{i}", kind, table.products[i], f"Title {i}", float(similarities[i])) for i in rows]
        ranking = scores.ranked(kind)
        assert len(ranking) == len(expected)
        assert ranking[:] == expected
        assert ranking[:3] == expected[:3] and ranking[0] == expected[0] and ranking[len(expected) - 1] == expected[-1]
        assert all(ranking.similarity(h.id) == h.similarity for h in expected)
        other = next(f"doc-{i}" for i in range(40) if kinds[i] != kind)
        assert ranking.similarity(other) is None and ranking.similarity("no-such-doc") is None
