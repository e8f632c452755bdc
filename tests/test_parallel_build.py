"""A large update in the builder process: its workers parse and write what the serial update would, in real
processes and a real Whoosh index."""

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.analysis import SimpleAnalyzer
from whoosh.writing import NO_MERGE, SegmentWriter

from conftest import BUNDLED_KB, write
from kbassist.content.kb_files import iter_kb_files
from kbassist.content.model import KbItem
from kbassist.content.parser import parse_file
from kbassist.search import parallel_build, table_files
from kbassist.search.engine import SearchEngine
from kbassist.search.schema import build_schema, to_document
from kbassist.search.spelling import spell_words
from kbassist.search.sync import Hooks, plan_sync
from kbassist.search.table_store import decode_segment
from kbassist.search.text import ANALYZER
from kbassist.search.whoosh_segments import commit_segments, finish_and_decode, finish_segment, segment_writer


def _documents(kb: Path) -> list[dict[str, Any]]:
    """Every file of ``kb`` as an index document, twice over (a common term then spans several posting blocks)."""
    items = [parse_file(path, kb) for path in iter_kb_files(kb)]
    docs = []
    for copy in range(2):
        for item in items:
            assert isinstance(item, KbItem)
            doc = to_document(item, 1_700_000_000_000_000_000 + copy, 100)
            docs.append(doc | {"id": f"{doc['id']}-{copy}", "path": f"{doc['path']}-{copy}"})
    return docs


def _segment_contents(folder: Path) -> dict[str, Any]:
    """Everything a segment holds that a search reads: terms with their term infos and postings, stored
    fields, field lengths and columns."""
    with whoosh_index.open_dir(str(folder)).reader() as reader:
        schema = reader.schema
        terms = {}
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            postings = []
            while matcher.is_active():
                postings.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            info = reader.term_info(fieldname, text)
            stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight())
            terms[fieldname, text] = (stats, info.min_id(), info.max_id(), postings)
        count = reader.doc_count_all()
        scorable = [name for name in schema.names() if schema[name].scorable]
        return {
            "terms": terms,
            "stored": list(reader.iter_docs()),
            "lengths": {name: [reader.doc_field_length(d, name) for d in range(count)] for name in scorable},
            "totals": {name: reader.field_length(name) for name in scorable},
            "columns": {name: list(reader.column_reader(name)) for name in ("record", "words")},
        }


def test_a_segment_with_its_postings_kept_in_memory_is_the_segment_whoosh_writes(tmp_path: Path) -> None:
    docs = _documents(BUNDLED_KB)
    whooshs, ours = tmp_path / "whoosh", tmp_path / "ours"
    for folder in (whooshs, ours):
        folder.mkdir()
        whoosh_index.create_in(str(folder), build_schema())
    writer = SegmentWriter(whoosh_index.open_dir(str(whooshs)), limitmb=1)  # its pool spills to disk and merges
    for doc in docs:
        writer.add_document(**doc)
    writer.commit(mergetype=NO_MERGE)
    ix = whoosh_index.open_dir(str(ours))
    parent = ix.writer()
    segment = segment_writer(ix)
    for doc in docs:
        segment.add_document(**doc)
    commit_segments(parent, [finish_segment(segment)])
    expected, found = _segment_contents(whooshs), _segment_contents(ours)
    assert max(len(term[-1]) for term in expected["terms"].values()) > 128  # several posting blocks
    assert found == expected


def test_a_table_made_from_the_writers_postings_is_the_table_decoded_from_its_segment(tmp_path: Path) -> None:
    """``finish_and_decode`` keeps, from the postings its writer holds, the scoring table (postings, lengths,
    words, synonym phrases' documents) that decoding the written segment gives."""
    docs = _documents(BUNDLED_KB)
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    parent = ix.writer()
    writer = segment_writer(ix)
    for doc in docs:
        writer.add_document(**doc)
    segment = finish_and_decode(writer)
    commit_segments(parent, [segment])
    with whoosh_index.open_dir(str(tmp_path)).reader() as reader:
        decoded = decode_segment(reader)
    kept = table_files.load(tmp_path, decoded.key, decoded.doc_count)
    assert kept is not None and kept.key == str(segment.segment_id())
    assert sorted(kept.fields) == sorted(decoded.fields) and len(decoded.fields) >= 6
    for name, postings in decoded.fields.items():
        mine = kept.fields[name]
        assert mine.terms == postings.terms
        for part in ("doc_freqs", "starts", "docs", "weights"):
            assert np.array_equal(getattr(mine, part), getattr(postings, part)), (name, part)
            assert getattr(mine, part).dtype == getattr(postings, part).dtype, (name, part)
    assert kept.lengths.keys() == decoded.lengths.keys()
    assert all(np.array_equal(kept.lengths[name], decoded.lengths[name]) for name in decoded.lengths)
    assert (kept.totals, list(kept.words)) == (decoded.totals, list(decoded.words))
    assert kept.phrases.keys() == decoded.phrases.keys() and sum(map(len, decoded.phrases.values())) > 50
    assert all(np.array_equal(kept.phrases[key], found) for key, found in decoded.phrases.items())


def test_words_read_in_one_loop_are_the_words_the_analyzers_give() -> None:
    """The builder's one-loop readings of a document's words (``KbAnalyzer.stemmed_positions``, ``spell_words``
    through ``whole_matches``) give what the analyzers' own tokens give, on every bundled file and on words
    with dots, stars, digits, non-Latin letters and stop words."""
    texts = [path.read_text("utf-8") for path in sorted(BUNDLED_KB.rglob("*.md"))]
    texts += ["v1.2.3 pi_3Pq.x7 **bold** a.b.c ... the The THE a I İstanbul ŁÓDŹ 東京 x*y refunds refund's"]
    simple = SimpleAnalyzer().items[0].expression
    for text in texts:
        positions: dict[str, list[int]] = {}
        for token in ANALYZER(text, positions=True):
            positions.setdefault(token.text, []).append(token.pos)
        assert ANALYZER.stemmed_positions(text) == positions
        assert list(ANALYZER.stemmed_positions(text)) == list(positions)  # first use first, as Whoosh keeps them
        assert spell_words(text) == {match.group(0).lower() for match in simple.finditer(text)}


def _stored(engine: SearchEngine) -> dict[str, dict[str, Any]]:
    with engine.index.searcher() as searcher:
        return {fields["id"]: fields for fields in searcher.all_stored_fields()}


def _scores(engine: SearchEngine, query: str) -> dict[str, float]:
    return {h.id: h.score for h in engine.search(query, limit=500)}


QUERIES = ["refund late", "payout failed", "webhook signature", "dispute evidence", "card declined"]


def _same_documents(builder: SearchEngine, serial: SearchEngine) -> None:
    """The same stored documents, and the same documents found for each query (their scores differ: the serial
    update merges its segments, which drops the replaced documents Whoosh still counts until then)."""
    assert builder.doc_count() == serial.doc_count()
    assert _stored(builder) == _stored(serial)
    for query in QUERIES:
        assert _scores(builder, query).keys() == _scores(serial, query).keys()


def test_an_update_of_changed_removed_and_duplicate_files_in_the_builder_is_the_serial_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changed files replace their documents, a removed file's goes, a newer file with an id already taken and a
    broken file are reported and skipped, in the builder's workers as in this process."""
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    engines = {name: SearchEngine(kb, index_root=tmp_path / name, embedder=False) for name in ("serial", "builder")}
    for engine in engines.values():
        engine.update()
    files = sorted(iter_kb_files(kb))
    for path in files[:80]:
        path.write_text(path.read_text("utf-8") + "\nAsk about a reimbursement.\n", "utf-8")
    files[100].unlink()
    taken = files[120].read_text("utf-8")
    later = files[120].stat().st_mtime_ns + 10**9
    dupe = write(kb / "articles/refunds/zz-dupe.md", taken.replace("\n# ", "\n# Copy of ", 1))
    os.utime(dupe, ns=(later, later))
    write(kb / "articles/refunds/broken.md", "---\nid: [nope\n---\n")
    serial = engines["serial"].update()
    monkeypatch.setattr(parallel_build, "PARALLEL_FROM", 50)
    monkeypatch.setattr(parallel_build, "FIRST_COMMIT", 30)
    parallel = engines["builder"].update()
    assert (parallel.added, parallel.changed, parallel.removed) == (serial.added, serial.changed, serial.removed)
    assert (parallel.changed, parallel.removed) == (80, 1)
    assert [(p.rel_path, p.reason) for p in parallel.problems] == [(p.rel_path, p.reason) for p in serial.problems]
    assert {p.rel_path for p in parallel.problems} == {"articles/refunds/zz-dupe.md", "articles/refunds/broken.md"}
    changed = engines["builder"].get(parse_file(files[0], kb).id)
    assert changed is not None and "reimbursement" in changed.body
    _same_documents(engines["builder"], engines["serial"])
    for engine in engines.values():
        engine.close()


def test_a_worker_that_fails_is_reported_to_the_caller_and_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    folder = tmp_path / "ix"
    folder.mkdir()
    whoosh_index.create_in(str(folder), build_schema())
    on_disk = {path.relative_to(kb).as_posix(): path for path in iter_kb_files(kb)}
    plan = plan_sync({}, on_disk)
    elsewhere = tmp_path / "elsewhere.md"  # a path outside the KB: parsing it raises in the worker
    shutil.copyfile(plan.todo[5].path, elsewhere)
    plan.todo[5] = type(plan.todo[5])(plan.todo[5].rel, elsewhere, plan.todo[5].stat)
    with pytest.raises(parallel_build.BuildFailedError, match="index worker"):
        parallel_build.sync_in_builder(folder, kb, plan, {}, Hooks())
    ix = whoosh_index.open_dir(str(folder))
    assert ix.doc_count() == 0
    with ix.writer(timeout=1.0) as writer:  # the lock was let go
        writer.add_document(id="x", path="x")
    assert ix.doc_count() == 1
