"""A build's segments joined into one postings list per term: the same postings, the same scores as Whoosh's,
kept beside the index and mapped by the next process; edits' segments are read after it."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from whoosh.query import Query
from whoosh.searching import Searcher

from conftest import BUNDLED_KB, article
from kbassist.search import array_file, edit_merge, joined_postings, parallel_build
from kbassist.search.case import analyse_case
from kbassist.search.case_query import build_case_query, key_terms
from kbassist.search.collect import collect
from kbassist.search.engine import SearchEngine
from kbassist.search.joined_postings import JoinedPostings
from kbassist.search.process_memory import release_mapped
from kbassist.search.scoring_table import ScoringTable, SegmentTable
from kbassist.search.segment_cache import segment_readers
from kbassist.search.spelling import Speller
from kbassist.search.typed import search_word_queries

CASES = [
    "My payout bounced, the bank account was closed last month. What now?",
    "customer says they were charged twice for the same subscription renewal and wants a refund today",
    "stripe.error.CardError: Your card was declined. decline_code=insufficient_funds",
]
TYPED = ["refund late", "payout failed", "webhook signature", "bank account"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    """The bundled KB built by the parallel builder in small batches (several segments of a few dozen documents,
    each counted as a build's here), then edited: segments of one document after them, deletions in them."""
    kb = tmp_path_factory.mktemp("joined-kb") / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(joined_postings, "BUILT_DOCS", 10)
        # The build's segments are small here: not an edit's to merge (the merge would run while tests read).
        patch.setattr(edit_merge, "EDIT_SEGMENT_DOCS", 5)
        engine = SearchEngine(kb, index_root=tmp_path_factory.mktemp("joined-index"), embedder=False)
        with pytest.MonkeyPatch.context() as small_batches:
            small_batches.setattr(parallel_build, "PARALLEL_FROM", 50)
            small_batches.setattr(parallel_build, "FIRST_COMMIT", 30)
            engine.update()
        for path in sorted(kb.rglob("*.md"))[::90]:  # the old version stays in its segment, deleted
            path.write_text(path.read_text("utf-8") + "\nA payout to the bank account was late again.\n", "utf-8")
            engine.update()
        article(kb, "payouts", "late-again", "Payout late again", "The payout to the bank account is late. Refund?")
        engine.update()
        yield engine
        engine.close()


def _table(engine: SearchEngine) -> ScoringTable:
    table = engine.index.scoring().table
    assert table is not None
    return table


def _folder(engine: SearchEngine) -> Path:
    folder = engine.index._folder()
    assert folder is not None
    return folder


def _one_by_one(segments: list[SegmentTable], fieldname: str, text: bytes) -> tuple[list[int], list[float], int]:
    docs: list[int] = []
    weights: list[float] = []
    frequency = 0
    offset = 0
    for segment in segments:
        row = segment.row(fieldname, text)
        if row is not None:
            postings = segment.fields[fieldname]
            start, end = int(postings.starts[row]), int(postings.starts[row + 1])
            docs += (postings.docs[start:end] + offset).tolist()
            weights += postings.weights[start:end].tolist()
            frequency += int(postings.doc_freqs[row])
        offset += segment.doc_count
    return docs, weights, frequency


def test_the_builds_segments_are_joined_and_the_edits_segments_are_not(built: SearchEngine) -> None:
    table = _table(built)
    joined = table._joined
    assert joined is not None
    sizes = [s.doc_count for s in table.segments]
    assert len(joined.keys) >= 4 and all(n > joined_postings.BUILT_DOCS for n in sizes[: len(joined.keys)])
    assert sizes[len(joined.keys) :] and all(n == 1 for n in sizes[len(joined.keys) :])  # the edits'
    assert joined.keys == tuple(s.key for s in table.segments[: len(joined.keys)])
    kept = _folder(built) / array_file.FOLDER / joined_postings.file_name(joined.keys)
    assert kept.is_file()
    assert [p.name for p in kept.parent.glob(f"*{joined_postings.SUFFIX}")] == [kept.name]


def test_every_joined_term_reads_as_its_segments_one_after_another(built: SearchEngine) -> None:
    table = _table(built)
    joined = table._joined
    assert joined is not None
    leading = table.segments[: len(joined.keys)]
    checked = 0
    for fieldname, postings in joined.fields.items():
        # a segment may lack a field (a few dozen documents, none with headings): the others' terms count
        assert postings.terms == sorted(
            {t for s in leading if fieldname in s.fields for t in s.fields[fieldname].terms}
        )
        for text in postings.terms:
            docs, weights, frequency = joined.postings(fieldname, text)
            assert (docs.tolist(), weights.tolist(), frequency) == _one_by_one(leading, fieldname, text)
            assert joined.doc_frequency(fieldname, text) == frequency
            checked += 1
    assert checked > 5000
    assert joined.postings("body", b"zzzunknown")[2] == 0 == joined.doc_frequency("body", b"zzzunknown")


def _queries(engine: SearchEngine, searcher: Searcher) -> list[Query]:
    queries: list[Query] = []
    for text in CASES:
        case = analyse_case(text, engine.synonyms)
        keys = key_terms(searcher, case.terms, engine.synonyms, engine.index.speller())
        prefixes = list(dict.fromkeys(f.prefix for f in case.entities.ids))
        query = build_case_query(keys, list(case.entities.codes), prefixes, engine.synonyms)
        if query is not None:
            queries.append(query)
    for text in TYPED:
        queries.extend(option for word in search_word_queries(text, engine.synonyms) for option in word)
    return queries


def test_with_the_join_a_case_scores_as_whoosh_and_as_the_segments_one_by_one(built: SearchEngine) -> None:
    table = _table(built)
    with built.index.searcher() as searcher:
        readers = [sub.reader() for sub, _offset in searcher.leaf_searchers()]
        deleted = [np.fromiter(r.segment().deleted_docs(), dtype=np.int64) for r in readers]
        assert any(len(d) for d in deleted)
        plain = ScoringTable(table.segments, deleted, table.scorable, table.bm25)  # no join
        cache = built.index.scoring()
        without = type(cache)(table=plain, phrase_docs=cache.phrase_docs, records=cache.records)
        queries = _queries(built, searcher)
        assert len(queries) > 10
        for query in queries:
            ours = [(h.docnum, h.score, h.terms, h["id"]) for h in collect(searcher, query, 40, cache)]
            assert ours == [(h.docnum, h.score, h.terms, h["id"]) for h in collect(searcher, query, 40, without)]
            theirs = searcher.search(query, limit=40, optimize=False)
            assert [h[3] for h in ours] == [h["id"] for h in theirs]
            assert [h[1] for h in ours] == pytest.approx([h.score for h in theirs], rel=1e-9)


def test_a_fresh_process_maps_the_join_instead_of_making_it(
    built: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object) -> JoinedPostings:
        raise AssertionError("joined again")

    monkeypatch.setattr(joined_postings, "BUILT_DOCS", 10)
    monkeypatch.setattr(joined_postings, "join", refuse)
    again = SearchEngine(built.kb_root, index_root=built.index.root, embedder=False)
    try:
        again.update()
        table = _table(again)
        assert table._joined is not None and table._joined.keys == _table(built)._joined.keys  # type: ignore[union-attr]
        assert [a.id for a in again.suggest(CASES[0]).articles] == [a.id for a in built.suggest(CASES[0]).articles]
    finally:
        again.close()


@pytest.mark.parametrize("chunk", [37, 1_000_000], ids=["many-pieces", "one-piece"])
def test_a_join_written_a_piece_at_a_time_is_the_join_made_whole(
    built: SearchEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(joined_postings, "CHUNK_POSTINGS", chunk)
    table = _table(built)
    leading = joined_postings.joinable(table.segments)
    whole = joined_postings.join(leading)
    assert joined_postings.write(leading, tmp_path) is not None
    loaded = joined_postings.load(tmp_path, leading)
    assert loaded is not None and loaded.keys == whole.keys and loaded.words is not None and whole.words is not None
    assert sorted(loaded.fields) == sorted(whole.fields)
    for name, postings in whole.fields.items():
        assert loaded.fields[name].terms == postings.terms
        for array in ("doc_freqs", "starts", "docs", "weights"):
            assert getattr(loaded.fields[name], array).tolist() == getattr(postings, array).tolist()
    assert {k: v.tolist() for k, v in loaded.words.arrays.items()} == {
        k: v.tolist() for k, v in whole.words.arrays.items()
    }


def _written(engine: SearchEngine, folder: Path) -> tuple[JoinedPostings, list[SegmentTable]]:
    """The engine's join and its segments' tables, the join written again into ``folder``."""
    table = _table(engine)
    joined = table._joined
    assert joined is not None
    leading = table.segments[: len(joined.keys)]
    assert joined_postings.write(leading, folder) is not None
    return joined, leading


def test_a_kept_join_is_used_only_for_its_own_segments_and_only_whole(built: SearchEngine, tmp_path: Path) -> None:
    joined, leading = _written(built, tmp_path)
    assert joined_postings.load(tmp_path, leading) is not None
    assert joined_postings.load(tmp_path, leading[:-1]) is None  # other segments: another name, none kept
    path = tmp_path / array_file.FOLDER / joined_postings.file_name(joined.keys)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert joined_postings.load(tmp_path, leading) is None  # cut short: joined again
    path.write_bytes(b"something else entirely")
    assert joined_postings.load(tmp_path, leading) is None


def test_a_join_for_segments_gone_is_removed(built: SearchEngine, tmp_path: Path) -> None:
    table = _table(built)
    leading = joined_postings.joinable(table.segments)
    for segments in (leading[:-1], leading):
        assert joined_postings.write(segments, tmp_path) is not None
    new = joined_postings.load(tmp_path, leading)
    joined_postings.remove_others(tmp_path, new)
    assert joined_postings.load(tmp_path, leading[:-1]) is None
    assert joined_postings.load(tmp_path, leading) is not None
    kept = sorted(p.name for p in (tmp_path / array_file.FOLDER).iterdir())
    stem = joined_postings.file_name(tuple(s.key for s in leading))[: -len(joined_postings.SUFFIX)]
    assert kept == [stem + joined_postings.SUFFIX, stem + joined_postings.WORDS_SUFFIX]  # the words went too


def test_too_few_built_segments_are_not_joined(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    engine = SearchEngine(kb, index_root=tmp_path / "index", embedder=False)
    try:
        engine.update()
        article(kb, "payouts", "late-again", "Payout late again", "The payout to the bank account is late.")
        engine.update()
        table = _table(engine)
        assert len(table.segments) == 2 and table._joined is None  # one build's segment and an edit's
        assert not list((_folder(engine) / array_file.FOLDER).glob(f"*{joined_postings.SUFFIX}"))
    finally:
        engine.close()


def _resident_kib(path: Path) -> int:
    """This process's resident memory of the mappings of ``path`` (``/proc/self/smaps``)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):  # a mapping's first line: its addresses ... its file
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux's /proc")
def test_pages_of_a_file_read_through_once_leave_the_process_and_read_the_same_after(tmp_path: Path) -> None:
    values = np.arange(2_000_000, dtype=np.int32)
    path = array_file.write(tmp_path / "arrays.bin", b"TESTFILE", {}, {"values": values})
    assert path is not None
    found = array_file.read(path, b"TESTFILE")
    assert found is not None
    mapped = found[1]["values"]
    assert int(mapped[::1024].sum()) == int(values[::1024].sum())  # every page touched
    assert _resident_kib(path) >= 7000
    release_mapped([mapped[10:20]])  # a slice: its mapping is found through its base
    assert _resident_kib(path) < 100
    assert mapped.tolist() == values.tolist()


def test_the_join_outlives_the_merge_of_the_edits_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    monkeypatch.setattr(joined_postings, "BUILT_DOCS", 10)
    monkeypatch.setattr(edit_merge, "EDIT_SEGMENT_DOCS", 5)
    with SearchEngine(kb, index_root=tmp_path / "index", embedder=False) as engine:
        with pytest.MonkeyPatch.context() as small_batches:
            small_batches.setattr(parallel_build, "PARALLEL_FROM", 50)
            small_batches.setattr(parallel_build, "FIRST_COMMIT", 30)
            engine.update()
        joined = _table(engine)._joined
        assert joined is not None
        engine.index._merge.quiet = 0.3
        for number, path in enumerate(sorted((kb / "articles").rglob("*.md"))[: edit_merge.MERGE_EDITS_AT]):
            path.write_text(path.read_text("utf-8") + f"\nzqedit{number} saved.\n", "utf-8")
            engine.update(changed=[path])
        deadline = time.monotonic() + 60
        while len(_table(engine).segments) > len(joined.keys) + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        table = _table(engine)
        assert [s.doc_count for s in table.segments[len(joined.keys) :]] == [edit_merge.MERGE_EDITS_AT]  # merged
        assert table._joined is joined  # the build's segments lead as before: the same join serves
        with engine.index.searcher() as searcher:
            edited = [q for word in search_word_queries("zqedit3 refund", engine.synonyms) for q in word]
            for query in [*_queries(engine, searcher), *edited]:
                ours = collect(searcher, query, 40, engine.index.scoring())
                theirs = searcher.search(query, limit=40, optimize=False)
                assert [h["id"] for h in ours] == [h["id"] for h in theirs]
                assert [h.score for h in ours] == pytest.approx([h.score for h in theirs], rel=1e-9)
            assert [h["id"] for h in collect(searcher, edited[0], 5, engine.index.scoring())]  # the edit is found


def test_array_files_keep_strided_empty_and_wide_arrays_whole(tmp_path: Path) -> None:
    """Written from the arrays' own memory (no copy): a strided view is made contiguous, an empty one is empty."""
    arrays = {
        "every_other": np.arange(20, dtype=np.int64)[::2],
        "empty": np.zeros(0, dtype=np.float32),
        "bytes": np.frombuffer(b"abc", dtype=np.uint8),
        "wide": np.linspace(0, 1, 7, dtype=np.float64),
    }
    path = array_file.write(tmp_path / "a.bin", b"TESTFILE", {"n": 1}, arrays)
    assert path is not None
    found = array_file.read(path, b"TESTFILE")
    assert found is not None and found[0] == {"n": 1}
    assert {k: (v.dtype, v.tolist()) for k, v in found[1].items()} == {
        k: (v.dtype, v.tolist()) for k, v in arrays.items()
    }


TYPOS = ["refnud", "payuot", "disptue", "webhok", "chargebak", "acount", "invocie", "subscripton", "zzzqqq"]


def test_the_builds_words_are_joined_and_spell_as_each_segments_words_do(built: SearchEngine) -> None:
    table = _table(built)
    joined = table._joined
    assert joined is not None and joined.words is not None
    leading = table.segments[: len(joined.keys)]
    counts: dict[str, int] = {}
    for segment in leading:
        for word, count in segment.words:
            counts[word] = counts.get(word, 0) + count
    assert len(counts) > 1000
    assert all(joined.words.count(word) == count for word, count in counts.items())
    speller = built.index.speller()
    assert speller.parts[0] is joined.words  # then the edits' segments' own
    assert len(speller.parts) == 1 + len(table.segments) - len(joined.keys) + 1  # and the speller's own, empty
    with built.index.searcher() as searcher:
        one_by_one = Speller(parts=[built.index._words.get(r) for r in segment_readers(searcher)])
    words = [*TYPOS, *list(counts)[::50]]
    assert [speller.correct(w) for w in words] == [one_by_one.correct(w) for w in words]
    assert [speller.frequency(w) for w in words] == [one_by_one.frequency(w) for w in words]
    assert speller.correct("refnud") == "refund"
    for prefix in ("pay", "ref", "dis", "sub"):
        assert speller.completions(prefix, 8) == one_by_one.completions(prefix, 8)


def test_without_its_words_file_a_join_still_serves_its_postings(built: SearchEngine, tmp_path: Path) -> None:
    joined, leading = _written(built, tmp_path)
    words = (
        tmp_path
        / array_file.FOLDER
        / joined_postings.file_name(joined.keys).replace(joined_postings.SUFFIX, joined_postings.WORDS_SUFFIX)
    )
    assert words.is_file()
    words.write_bytes(words.read_bytes()[:100])
    loaded = joined_postings.load(tmp_path, leading)
    assert loaded is not None and loaded.words is None
    assert loaded.postings("body", b"payout")[2] == joined.postings("body", b"payout")[2] > 0


def test_pieces_that_do_not_fill_their_layout_leave_no_file(tmp_path: Path) -> None:
    layout = [("a", np.dtype(np.int32), 5), ("b", np.dtype(np.float32), 2)]
    ints, floats = np.arange(5, dtype=np.int32), np.ones(2, dtype=np.float32)
    path = tmp_path / "pieces.bin"
    written = array_file.write_pieces(path, b"TESTFILE", {}, layout, [ints[:2], ints[2:], floats])
    assert written is not None
    found = array_file.read(path, b"TESTFILE")
    assert found is not None and found[1]["a"].tolist() == [0, 1, 2, 3, 4] and found[1]["b"].tolist() == [1, 1]
    path.unlink()
    for pieces in ([ints[:2], floats], [ints, floats, floats], [ints.astype(np.int64), floats], [ints]):
        with pytest.raises(ValueError):
            array_file.write_pieces(path, b"TESTFILE", {}, layout, pieces)
        assert not list(tmp_path.iterdir())  # neither the file nor its temporary
