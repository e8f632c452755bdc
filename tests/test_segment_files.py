"""What is kept per segment beside the index (``scoring/``): "did you mean"'s words as arrays and the
documents' briefs, read at the next start and answering as what they were made from."""

import json
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from conftest import BUNDLED_KB
from kbassist.content.kb_files import iter_translation_files
from kbassist.evaluation.sets import DEFAULT_CASES
from kbassist.evaluation.tickets import load_cases
from kbassist.search import briefs, records, table_store, word_index
from kbassist.search.briefs import Briefs, brief_of
from kbassist.search.engine import SearchEngine
from kbassist.search.ranking import filed_reliance, relied_on
from kbassist.search.records import ChainedBriefs, FiledKeys, filed
from kbassist.search.spelling import Speller, spell_words
from kbassist.search.word_index import WordIndex

TYPOS = ("refnd", "payot", "chargbak", "statment", "acount", "disputed", "zzzzzz", "bnk", "agan", "webhok", "kraków")
PREFIXES = ("pay", "re", "ch", "dis", "b", "a", "zz")


def _bundled_words(files: int | None = None) -> Counter[str]:
    words: Counter[str] = Counter()
    for path in sorted(BUNDLED_KB.rglob("*.md"))[:files]:
        words.update(spell_words(path.read_text("utf-8")))
    return words


def _answers(speller: Speller) -> list[object]:
    out: list[object] = []
    for typo in TYPOS:
        out += [speller.correct(typo, 1), speller.correct(typo), typo in speller, speller.frequency(typo)]
    return out + [speller.completions(prefix, 5) for prefix in PREFIXES]


def test_a_word_index_kept_on_disk_answers_as_the_one_built_in_memory(tmp_path: Path) -> None:
    words = _bundled_words()
    built = WordIndex(words.items())
    assert word_index.save(built, tmp_path, "seg", 7) is not None
    mapped = word_index.load(tmp_path, "seg", 7)
    assert mapped is not None and len(mapped) == len(words)
    assert _answers(Speller(parts=[mapped])) == _answers(Speller(words.items()))
    assert Speller(parts=[mapped]).correct("refnd") == "refund"
    assert mapped.count("the") == words["the"] and mapped.frequency("the") == words["the"]
    assert word_index.load(tmp_path, "seg", 8) is None  # not this segment's words
    assert word_index.load(tmp_path, "other", 7) is None


def test_completions_are_the_words_with_the_prefix_most_common_first_across_parts() -> None:
    """Found by two binary searches and counted from each part's own entries: as counting every word with the
    prefix in every part, the prefix itself left out, non-ASCII words included."""
    first = {"café": 3, "cafés": 1, "caf": 9, "cafe": 2, "cafeteria": 2, "cab": 5, "cag": 4, "kraków": 1}
    first |= {"international": 4, "internationally": 1, "internationalization": 2, "internet": 3, "krakówianka": 1}
    second = {"cafés": 4, "cafe": 1, "caffeine": 2, "krak": 1, "krakow": 2, "z": 1, "internationale": 1}
    speller = Speller(parts=[WordIndex(first.items()), WordIndex(second.items())])
    both = Counter(first) + Counter(second)
    prefixes = ["caf", "café", "cafe", "ca", "krak", "c", "z", "zz", "q", "kraków", "krakówi", "krakówianka"]
    for prefix in [*prefixes, "inter", "internat", "internati", "internationa", "internationally", "internetz"]:
        counted = {w: n for w, n in both.items() if w.startswith(prefix) and w != prefix}
        assert speller.completions(prefix, 10) == sorted(counted, key=lambda w: (-counted[w], w))
    assert speller.completions("caf", 2) == ["cafés", "cafe"]


def test_colliding_hashes_find_nothing_the_words_do_not_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every word and deletion of a length under one hash: each match is checked against the word itself."""
    words = _bundled_words(files=40)
    probes = sorted({p for typo in TYPOS for d in word_index.deletes(typo) for p in {typo, d, *word_index.deletes(d)}})
    plain = WordIndex(words.items())
    expected = plain.candidates(probes, word_index.text_hashes(probes))
    assert "refund" in expected
    answers = _answers(Speller(parts=[plain]))
    monkeypatch.setattr(word_index, "text_hash", len)
    colliding = WordIndex(words.items())
    assert colliding.candidates(probes, word_index.text_hashes(probes)) == expected
    assert [colliding.count(w) for w in ("the", "refund", "refnd")] == [words["the"], words["refund"], 0]
    assert _answers(Speller(parts=[colliding])) == answers


def test_a_damaged_word_file_is_built_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    built = WordIndex(_bundled_words().items())
    path = word_index.save(built, tmp_path, "seg", 3)
    assert path is not None
    path.write_bytes(path.read_bytes()[:200])
    assert word_index.load(tmp_path, "seg", 3) is None
    assert "unreadable" in caplog.text
    path.write_bytes(b"something else entirely")
    assert word_index.load(tmp_path, "seg", 3) is None


def test_a_second_start_maps_the_words_instead_of_counting_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    with SearchEngine(kb, embedder=False) as engine:
        engine.update()
        first = _answers(engine.index.speller())
        folder = engine.index.root / str(engine.index._generation) / "scoring"
    assert sorted(folder.glob("*.words")), "the build keeps each segment's words beside its table"

    def refuse(_reader: object) -> None:
        raise AssertionError("words counted again from the index")

    monkeypatch.setattr(table_store, "count_words", refuse)
    with SearchEngine(kb, embedder=False) as engine:
        assert _answers(engine.index.speller()) == first
        assert engine.did_you_mean("refnd statment") == "refund statement"


def test_a_case_pasted_before_the_first_build_finds_nothing_and_rebuilds_nothing(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    with SearchEngine(kb, embedder=False) as engine:
        assert engine.suggest("My refund is late, the customer is asking where it is").articles == []
        assert engine.search("refund late") == [] and engine.messages == []
        assert engine.update().added > 200 and engine.search("refund late")


def test_a_second_start_answers_from_the_briefs_without_reading_the_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The briefs kept beside the index give the same suggestions and hits as the records they are made of,
    and a later start answers without unpickling a record."""
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    cases = [c.text for c in load_cases(DEFAULT_CASES)[:12]]

    def answers(engine: SearchEngine) -> list[object]:
        out: list[object] = []
        for text in cases:
            found = engine.suggest(text)
            out.append([(s.id, s.kind, s.title, s.product, s.score, s.why) for s in [*found.articles, *found.macros]])
        return [*out, [(h.id, h.title, h.product, h.score) for h in engine.search("refund late")]]

    with SearchEngine(kb, embedder=False) as engine:
        engine.update()
        folder = engine.index.root / str(engine.index._generation) / "scoring"
        kept = sorted(folder.glob("*.briefs.json"))
        assert kept, "each segment's briefs are kept beside its table"
        with engine.index.searcher() as searcher:
            briefed = {r["id"] for _d, r in engine.index.records.live_briefs(searcher)}
        assert briefed == {i.id for i in engine.items()}
        first = answers(engine)
        assert not engine.messages

    def refuse(_reader: object) -> None:
        raise AssertionError("records read to answer a case")

    with monkeypatch.context() as patched:
        patched.setattr(records, "read_records", refuse)
        with SearchEngine(kb, embedder=False) as engine:
            assert answers(engine) == first
            assert not engine.messages
    for path in kept:  # damaged briefs: made again from the records, and kept again
        path.write_text("{not json")
    with SearchEngine(kb, embedder=False) as engine:
        assert answers(engine) == first
        assert not engine.messages
    with monkeypatch.context() as patched:
        patched.setattr(records, "read_records", refuse)
        with SearchEngine(kb, embedder=False) as engine:
            assert answers(engine) == first


def _record(item_id: str, kind: str = "article", articles: list[str] | None = None) -> dict[str, object]:
    meta = {"articles": articles, "audience": "merchant"} if articles is not None else {"audience": "merchant"}
    return {
        "id": item_id,
        "kind": kind,
        "product": "Refunds",
        "path": f"articles/{item_id}.md",
        "title": f"Ü {item_id}",
        "signature": "ab" * 20,
        "mtime_ns": 1_700_000_000_123_456_789,
        "size": 812,
        "meta": meta,
        "tags": ["x"],
    }


SEGMENT = [
    brief_of(_record("late-refund")),
    None,  # a document without a record
    brief_of(_record("macro-late", "macro", ["late-refund", "refund-fees"])),
    brief_of(_record("macro-none", "macro", [])),
    brief_of(_record("late-refund")),  # the same id again (its file's earlier document not yet deleted)
]


def test_briefs_kept_as_columns_read_back_as_the_briefs_they_were(tmp_path: Path) -> None:
    held = Briefs.of(SEGMENT)
    assert list(held) == SEGMENT and len(held) == 5 and held[-1] == SEGMENT[-1] and held[1:3] == SEGMENT[1:3]
    assert held[2] is held[2], "a brief is made once: the manifest compares briefs by identity"
    assert briefs.save(tmp_path, "seg", held) is not None
    read = briefs.load(tmp_path, "seg", 5)
    assert read is not None and list(read) == SEGMENT
    assert read.column("id") == ["late-refund", None, "macro-late", "macro-none", "late-refund"]
    with pytest.raises(IndexError):
        read[5]
    assert briefs.load(tmp_path, "seg", 4) is None, "another segment's count"
    assert briefs.load(tmp_path, "other", 5) is None, "another segment's key"


def test_macros_filed_from_the_columns_as_from_each_brief(tmp_path: Path) -> None:
    """The articles macros rely on, filed from a segment's columns, as filing each brief's ``relied_on``: on a
    made-up segment (a document without a record, a macro relying on none, an id twice) and on the bundled KB's."""
    assert filed_reliance(Briefs.of(SEGMENT)) == filed(enumerate(SEGMENT), relied_on)
    assert set(filed_reliance(Briefs.of(SEGMENT))) == {"late-refund", "refund-fees"}
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    with SearchEngine(kb, embedder=False) as engine:
        engine.update()
        with engine.index.searcher() as searcher:
            segments = [engine.index.records.briefs.get(reader) for reader in records.segment_readers(searcher)]
    assert sum(len(by_article) for by_article in map(filed_reliance, segments)) > 50
    for held in segments:
        assert filed_reliance(held) == filed(enumerate(held), relied_on)


def test_damaged_briefs_are_refused_not_read_wrong(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = briefs.save(tmp_path, "seg", Briefs.of(SEGMENT))
    assert path is not None
    head, *lines = path.read_bytes().split(b"\n")
    damaged = {
        "a column cut short": [head, *lines[:3], lines[3].replace(b"[", b"[1,", 1), *lines[4:]],
        "a column lost": [head, *lines[:-1]],
        "a line not JSON": [head, lines[0][:-3], *lines[1:]],
        "a header of other columns": [head.replace(b'"size", ', b""), *lines],
    }
    for what, content in damaged.items():
        path.write_bytes(b"\n".join(content))
        assert briefs.load(tmp_path, "seg", 5) is None, what
    assert "reading the segment's records again" in caplog.text


def test_ids_filed_by_columns_are_filed_as_one_document_at_a_time() -> None:
    ids = [b["id"] if b else None for b in SEGMENT] + ["refund-fees", None, "macro-late"]
    one_by_one = filed(((doc, {"id": key}) for doc, key in enumerate(ids) if key), lambda b: [(b["id"], True)])
    by_columns = FiledKeys(ids)
    assert dict(by_columns) == {key: list(value) for key, value in one_by_one.items()}
    assert by_columns["late-refund"] == [(0, True), (4, True)] and "missing" not in by_columns
    assert len(by_columns) == 4


def test_segments_briefs_chained_are_one_list_by_document_number() -> None:
    parts = [Briefs.of(SEGMENT), Briefs.of([]), Briefs.of(SEGMENT[:2])]
    chained = ChainedBriefs(parts)
    assert len(chained) == 7 and list(chained) == [*SEGMENT, *SEGMENT[:2]]
    assert chained[5] is parts[2][0] and chained[-1] is None and chained[1:6] == [*SEGMENT[1:], SEGMENT[0]]
    with pytest.raises(IndexError):
        chained[7]


def test_a_second_start_answers_without_importing_the_kb_parser(tmp_path: Path) -> None:
    """A process that finds the index in step with the KB and answers a case imports neither markdown-it nor
    the KB parser (``content/kb_files.py``); an edited file brings them in to be parsed, as would a macro's
    translation read for a reply (none here)."""
    kb, index = tmp_path / "kb", tmp_path / "index"
    shutil.copytree(BUNDLED_KB, kb)
    for translation in list(iter_translation_files(kb)):
        translation.unlink()
    with SearchEngine(kb, index_root=index, embedder=False) as engine:
        engine.update()
    code = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from kbassist.search.engine import SearchEngine
        with SearchEngine(Path({str(kb)!r}), index_root=Path({str(index)!r}), embedder=False) as engine:
            report = engine.update()
            found = engine.suggest("The refund to my customer has not arrived after ten days. Where is it?")
        parsers = [m for m in ("markdown_it", "kbassist.content.parser") if m in sys.modules]
        print(json.dumps([report.touched, report.unchanged, len(found.articles), parsers]))
        """
    )

    def second_start() -> list[object]:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return json.loads(done.stdout.splitlines()[-1])

    touched, unchanged, articles, parsers = second_start()
    assert (touched, parsers) == (0, []) and unchanged > 200 and articles > 0
    edited = next((kb / "articles").rglob("*.md"))
    edited.write_text(edited.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    touched, _unchanged, articles, parsers = second_start()
    assert touched == 1 and articles > 0
    assert parsers == ["markdown_it", "kbassist.content.parser"]
