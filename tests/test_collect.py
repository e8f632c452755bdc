"""The flat-OR scorer must agree with Whoosh's own union, through the scoring table and through Whoosh's matchers,
on the real bundled index, fresh and after edits (segments with deleted documents)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import whoosh
from whoosh.query import Or, Phrase, Query, Term
from whoosh.searching import Searcher

from conftest import BUNDLED_KB, article
from kbassist.content.model import kb_version
from kbassist.evaluation.sets import DEFAULT_CASES
from kbassist.evaluation.tickets import load_cases
from kbassist.search import table_files
from kbassist.search.case import analyse_case
from kbassist.search.case_query import RARITY_FIELDS, KeySurfaces, build_case_query, key_terms
from kbassist.search.collect import collect, leaves, scoring_cache
from kbassist.search.engine import SearchEngine
from kbassist.search.phrase_docs import match_synonym_phrases, near, synonym_phrase_keys
from kbassist.search.queries import flat_or, term_query
from kbassist.search.scoring_table import read_segment
from kbassist.search.table_store import SCORED_FIELDS, decode_segment
from kbassist.search.typed import collect_words, search_word_queries
from kbassist.search.whoosh_postings import FAST_PATH, SEGMENT_FAST_PATH, FastPath

CASES = [
    "My payout po_1NvXq2LkdIwHu7ixq8pVbR4s bounced, the bank account was closed last month. What now?",
    "stripe.error.CardError: Your card was declined. decline_code=insufficient_funds on pi_3PqZk1LkdIwHu7ix0aB",
    "customer says they were charged twice for the same subscription renewal and wants a refund today",
]


def _case_query(engine: SearchEngine, searcher: Searcher, text: str) -> Query | None:
    case = analyse_case(text, engine.synonyms)
    keys = key_terms(searcher, case.terms, engine.synonyms, engine.index.speller())
    prefixes = list(dict.fromkeys(f.prefix for f in case.entities.ids))
    return build_case_query(keys, list(case.entities.codes), prefixes, engine.synonyms)


@pytest.mark.parametrize("text", CASES)
@pytest.mark.parametrize("with_cache", [False, True], ids=["plain", "cached-lengths-and-phrases"])
def test_same_documents_scores_and_order_as_whoosh(bundled_engine: SearchEngine, text: str, with_cache: bool) -> None:
    with bundled_engine.index.searcher() as searcher:
        query = _case_query(bundled_engine, searcher, text)
        assert query is not None and len(leaves(query)) > 20
        cache = scoring_cache(searcher) if with_cache else None
        theirs = searcher.search(query, limit=30, optimize=False)
        for _ in range(2):  # the second time, phrases come from the cache
            ours = collect(searcher, query, 30, cache)
            assert [h["id"] for h in ours] == [h["id"] for h in theirs]
            assert [h.score for h in ours] == pytest.approx([h.score for h in theirs], rel=1e-9)


def test_matched_terms_are_the_leaves_each_document_matched(bundled_engine: SearchEngine) -> None:
    query = Or([Term("title", "payout", boost=2.0), Term("body", "zzzunknown"), Phrase("body", ["bank", "account"])])
    with bundled_engine.index.searcher() as searcher:
        hits = collect(searcher, query, 500)
        assert hits
        for hit in hits:
            in_title = "payout" in searcher.stored_fields(hit.docnum)["title"].lower()
            assert (("title", b"payout") in hit.terms) == in_title
            assert ("body", b"zzzunknown") not in hit.terms
            if ("body", b"bank") in hit.terms:
                assert ("body", b"account") in hit.terms


def test_boosted_or_is_kept_whole() -> None:
    inner = Or([Term("body", "a"), Term("body", "b")], boost=2.0)
    assert leaves(Or([inner, Term("title", "c")])) == [inner, Term("title", "c")]


def test_multi_segment_index_scores_like_whoosh(mini_kb: Path, tmp_path: Path) -> None:
    """Documents added after the first commit live in another segment, with a docnum offset."""
    engine = SearchEngine(mini_kb, index_root=tmp_path / "ix")
    engine.update()
    article(mini_kb, "payouts", "late-again", "Payout late again", "The payout to the bank account is late.")
    engine.update()
    query = Or([Term("body", "payout", boost=1.7), Term("title", "late"), Phrase("body", ["bank", "account"])])
    with engine.index.searcher() as searcher:
        assert len(list(searcher.leaf_searchers())) > 1
        ours = collect(searcher, query, 50, scoring_cache(searcher))
        theirs = searcher.search(query, limit=50, optimize=False)
        assert [h["id"] for h in ours] == [h["id"] for h in theirs]
        assert [h.score for h in ours] == pytest.approx([h.score for h in theirs], rel=1e-9)
    engine.close()


def test_a_phrase_is_matched_once_per_commit_whatever_its_boost(bundled_engine: SearchEngine) -> None:
    with bundled_engine.index.searcher() as searcher:
        cache = scoring_cache(searcher)
        plain = collect(searcher, Phrase("body", ["bank", "account"]), 50, cache)
        boosted = collect(searcher, Phrase("body", ["bank", "account"], boost=2.5), 50, cache)
        assert list(cache.phrases) == [("body", ("bank", "account"), 1)]
        assert plain and [h.docnum for h in plain] == [h.docnum for h in boosted]
        assert [2.5 * h.score for h in plain] == pytest.approx([h.score for h in boosted], rel=1e-12)
        whoosh = searcher.search(Phrase("body", ["bank", "account"], boost=2.5), limit=50, optimize=False)
        assert [h.score for h in boosted] == pytest.approx([h.score for h in whoosh], rel=1e-9)


def _scored(searcher: Searcher, query: Query, cache: bool) -> list[tuple[str, float, set[tuple[str, bytes]]]]:
    hits = collect(searcher, query, 60, scoring_cache(searcher) if cache else None)
    return [(h["id"], h.score, h.terms) for h in hits]


@pytest.mark.parametrize("text", CASES)
@pytest.mark.parametrize("with_cache", [False, True], ids=["plain", "cached-lengths-and-phrases"])
def test_the_fast_path_and_the_public_matcher_protocol_score_alike(
    bundled_engine: SearchEngine, monkeypatch: pytest.MonkeyPatch, text: str, with_cache: bool
) -> None:
    """A term's postings read from Whoosh's private arrays give exactly what its public matcher protocol gives."""
    with bundled_engine.index.searcher() as searcher:
        query = _case_query(bundled_engine, searcher, text)
        assert query is not None
        fast = _scored(searcher, query, with_cache)
        assert FAST_PATH.usable is True  # the pinned whoosh-reloaded takes the fast path
        monkeypatch.setattr(FAST_PATH, "usable", False)
        public = _scored(searcher, query, with_cache)
    assert fast and public == fast


def test_the_fast_path_and_the_public_protocol_agree_across_segments(
    mini_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = SearchEngine(mini_kb, index_root=tmp_path / "ix")
    engine.update()
    article(mini_kb, "payouts", "late-again", "Payout late again", "The payout to the bank account is late.")
    engine.update()
    query = Or([Term("body", "payout", boost=1.7), Term("title", "late"), Term("body", "bank")])
    with engine.index.searcher() as searcher:
        assert len(list(searcher.leaf_searchers())) > 1
        fast = _scored(searcher, query, True)
        monkeypatch.setattr(FAST_PATH, "usable", False)
        assert _scored(searcher, query, True) == fast
    engine.close()


def test_the_fast_path_is_only_taken_where_it_was_checked(
    bundled_engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with bundled_engine.index.searcher() as searcher:
        sub, _offset = next(iter(searcher.leaf_searchers()))
        matcher = Term("body", "payout").matcher(sub, sub.context())
        leaf = getattr(matcher, "child", matcher)
        assert FastPath().allows(leaf)
        assert not FastPath().allows(object())  # a matcher without the fields the fast path reads
        monkeypatch.setattr(whoosh, "__version__", (2, 7, 6))
        checked = FastPath()
        assert not checked.allows(leaf)  # another release: its internals were never read
        monkeypatch.setattr(whoosh, "__version__", (2, 7, 5))
        assert not checked.allows(leaf)  # decided once


# ----------------------------------------------------------------------------- the scoring table
TYPED = ["refund late", "payout failed", "webhook signature", "card declined", "bank account", "chargeback fee"]


@pytest.fixture(scope="module")
def edited_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchEngine]:
    """The bundled KB indexed, then edited: a big segment with deleted documents and small new segments."""
    kb = tmp_path_factory.mktemp("edited-kb") / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    engine = SearchEngine(kb, index_root=tmp_path_factory.mktemp("edited-index"), embedder=False)
    engine.update()
    for path in sorted(kb.rglob("*.md"))[::60]:  # changed: the old version stays in the big segment, deleted
        path.write_text(path.read_text("utf-8") + "\nA payout to the bank account was late again.\n", "utf-8")
        engine.update()
    (sorted((kb / "articles" / "payouts").glob("*.md"))[0]).unlink()
    article(kb, "payouts", "late-again", "Payout late again", "The payout to the bank account is late. Refund?")
    engine.update()
    yield engine
    engine.close()


def _queries(engine: SearchEngine, searcher: Searcher) -> list[Query]:
    queries = [q for text in CASES if (q := _case_query(engine, searcher, text)) is not None]
    for text in TYPED:
        queries.extend(option for word in search_word_queries(text, engine.synonyms) for option in word)
    return queries


def test_the_edited_index_has_segments_with_deletions(edited_engine: SearchEngine) -> None:
    with edited_engine.index.searcher() as searcher:
        readers = [sub.reader() for sub, _offset in searcher.leaf_searchers()]
        assert len(readers) > 2
        assert any(r.has_deletions() for r in readers)
        assert edited_engine.index.scoring().table is not None


def test_the_table_scores_like_whoosh_across_segments_with_deletions(edited_engine: SearchEngine) -> None:
    with edited_engine.index.searcher() as searcher:
        table = edited_engine.index.scoring()
        assert table.table is not None
        for query in _queries(edited_engine, searcher):
            ours = collect(searcher, query, 40, table)
            theirs = searcher.search(query, limit=40, optimize=False)
            assert [h["id"] for h in ours] == [h["id"] for h in theirs]
            assert [h.score for h in ours] == pytest.approx([h.score for h in theirs], rel=1e-9)
            deleted = {d for d in range(searcher.doc_count_all()) if searcher.reader().is_deleted(d)}
            assert not deleted & {h.docnum for h in ours}


def test_the_table_and_the_matchers_give_the_same_floats_and_terms(edited_engine: SearchEngine) -> None:
    """Not only close: the same bits, so no ranking or "why" changes with the path a query takes."""
    with edited_engine.index.searcher() as searcher:
        table = edited_engine.index.scoring()
        matchers = scoring_cache(searcher)
        for query in _queries(edited_engine, searcher):
            ours = [(h.docnum, h.score, h.terms, h["id"]) for h in collect(searcher, query, 60, table)]
            assert ours == [(h.docnum, h.score, h.terms, h["id"]) for h in collect(searcher, query, 60, matchers)]


def test_each_hits_terms_are_the_leaves_whoosh_matches_it_with(edited_engine: SearchEngine) -> None:
    """A hit's terms (read from all leaves' documents at once) are those of every leaf whose own Whoosh
    query matches that document, across segments with deletions."""
    with edited_engine.index.searcher() as searcher:
        table = edited_engine.index.scoring()
        for query in _queries(edited_engine, searcher)[:3]:
            hits = collect(searcher, query, 60, table)
            assert hits
            matches = {leaf: set(leaf.docs(searcher)) for leaf in leaves(query)}
            for hit in hits:
                expected = {t for leaf, docs in matches.items() if hit.docnum in docs for t in _plain_terms(leaf)}
                assert hit.terms == expected


def _plain_terms(leaf: Query) -> set[tuple[str, bytes]]:
    words = leaf.words if isinstance(leaf, Phrase) else [leaf.text]  # type: ignore[attr-defined]
    return {(leaf.fieldname, w if isinstance(w, bytes) else w.encode()) for w in words}  # type: ignore[attr-defined]


def test_a_hits_key_terms_are_those_all_of_whose_words_it_matched(edited_engine: SearchEngine) -> None:
    """``KeySurfaces`` finds keys through an index of their words; the plain definition, key by key, agrees."""
    synonyms = edited_engine.synonyms
    with edited_engine.index.searcher() as searcher:
        table = edited_engine.index.scoring()
        for text in CASES:
            case = analyse_case(text, synonyms)
            keys = key_terms(searcher, case.terms, synonyms, edited_engine.index.speller())
            query = build_case_query(keys, list(case.entities.codes), [], synonyms)
            assert query is not None
            surfaces = KeySurfaces(keys, synonyms)
            for hit in collect(searcher, query, 60, table):
                words = {term.decode() for _field, term in hit.terms}
                plain = [
                    k.surface for k in keys if any(set(o) <= words for o in (k.phrase, *synonyms.expand(k.phrase)))
                ]
                assert surfaces.matched(hit.terms) == plain
                assert plain or not hit.terms


def test_get_reads_the_live_version_of_an_edited_item(edited_engine: SearchEngine) -> None:
    late = edited_engine.get("payouts-late-again")
    assert late is not None and late.title == "Payout late again"
    edited = sorted(edited_engine.kb_root.rglob("*.md"))[60]
    item_id = next(i.id for i in edited_engine.items() if i.path == edited.resolve())
    with edited_engine.index.searcher() as searcher:
        holding = [d for d in range(searcher.doc_count_all()) if searcher.stored_fields(d).get("id") == item_id]
    assert len(holding) == 2  # the old version, deleted, and the edited one
    found = edited_engine.get(item_id)
    assert found is not None and "late again" in found.body
    assert edited_engine.get("no-such-item") is None


def test_the_summaries_are_the_items_in_brief(edited_engine: SearchEngine) -> None:
    """What the window keeps of each item, from the briefs, says what the full items say (edits and a deleted
    file included), and fingerprints the KB alike."""
    items = edited_engine.items()
    summaries = edited_engine.summaries()
    assert sorted((i.id, i.kind, i.product, i.title, i.rel_path, i.signature) for i in items) == sorted(
        (s.id, s.kind, s.product, s.title, s.rel_path, s.signature) for s in summaries
    )
    assert kb_version(summaries) == kb_version(items)


def test_typed_search_is_the_same_through_the_table_and_the_matchers(edited_engine: SearchEngine) -> None:
    with edited_engine.index.searcher() as searcher:
        table = edited_engine.index.scoring()
        for text in TYPED:
            words = search_word_queries(text, edited_engine.synonyms)
            ours = [(h.docnum, h.score, h.terms) for h in collect_words(searcher, words, 50, table)]
            assert ours
            assert ours == [(h.docnum, h.score, h.terms) for h in collect_words(searcher, words, 50, None)]


def test_the_table_counts_documents_and_term_frequencies_as_whoosh(edited_engine: SearchEngine) -> None:
    """Key terms are chosen by the table's counts: every term of the rarity fields, deleted documents and all."""
    with edited_engine.index.searcher() as searcher:
        table = edited_engine.index.scoring().table
        assert table is not None
        assert table.doc_count() == searcher.doc_count() < searcher.doc_count_all()
        reader = searcher.reader()
        terms = [(f, t.decode("utf-8")) for f in RARITY_FIELDS for t in reader.lexicon(f)]
        assert len(terms) > 1000
        for fieldname, text in [*terms, ("body", "zzzunknown"), ("title", "payout")]:
            assert table.doc_frequency(fieldname, text) == searcher.doc_frequency(fieldname, text), (fieldname, text)


def test_deleted_documents_are_skipped_in_the_fast_loop_as_in_the_public_protocol(
    edited_engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = Or([Term("body", "payout", boost=1.7), Term("title", "late"), Term("body", "bank"), Term("tags", "refund")])
    with edited_engine.index.searcher() as searcher:
        fast = _scored(searcher, query, True)
        monkeypatch.setattr(FAST_PATH, "usable", False)
        assert _scored(searcher, query, True) == fast
        assert fast == [
            (h["id"], h.score, h.terms) for h in collect(searcher, query, 60, edited_engine.index.scoring())
        ]


def test_a_segment_reads_alike_from_its_blocks_and_through_the_public_protocol(
    edited_engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with edited_engine.index.searcher() as searcher:
        for sub, _offset in searcher.leaf_searchers():
            reader = sub.reader()
            fast = read_segment(reader, SCORED_FIELDS)
            monkeypatch.setattr(SEGMENT_FAST_PATH, "usable", False)
            public = read_segment(reader, SCORED_FIELDS)
            monkeypatch.setattr(SEGMENT_FAST_PATH, "usable", True)
            deleted = set(reader.segment().deleted_docs())
            for name, postings in fast.fields.items():
                other = public.fields[name]
                assert postings.terms == other.terms
                assert postings.doc_freqs.tolist() == other.doc_freqs.tolist()
                kept = [i for i, d in enumerate(postings.docs.tolist()) if d not in deleted]  # Whoosh hides these
                assert postings.docs[kept].tolist() == other.docs.tolist()
                assert postings.weights[kept].tolist() == other.weights.tolist()
            assert {k: v.tolist() for k, v in fast.lengths.items()} == {
                k: v.tolist() for k, v in public.lengths.items()
            }


def test_synonym_phrases_match_the_documents_whooshs_phrase_matcher_finds(edited_engine: SearchEngine) -> None:
    """Every synonym phrase in every field of every segment (deletions among them): the same documents."""
    keys = synonym_phrase_keys(edited_engine.synonyms)
    assert len(keys) > 100
    matched = 0
    with edited_engine.index.searcher() as searcher:
        for sub, _offset in searcher.leaf_searchers():
            ours = match_synonym_phrases(sub.reader(), read_segment(sub.reader(), SCORED_FIELDS))
            assert list(ours) == keys
            for key, docs in ours.items():
                fieldname, words, slop = key
                whoosh_docs = Phrase(fieldname, [w.decode() for w in words], slop=slop).matcher(sub, sub.context())
                assert docs.tolist() == list(whoosh_docs.all_ids()), key
                matched += len(docs)
    assert matched > 50


def test_near_is_whooshs_ordered_span_rule() -> None:
    assert near([[3], [4]], 2) and near([[3], [5]], 2) and not near([[3], [6]], 2)
    assert not near([[4], [3]], 2) and not near([[3], [3]], 2)  # in order, never the same place
    assert near([[1, 9], [2, 30], [4]], 2)  # the span grows to each word found: 1-2, then 4 within 2 of 2
    assert not near([[1], [3], [6]], 2)


def test_a_table_kept_on_disk_is_the_table_read_from_whoosh(edited_engine: SearchEngine, tmp_path: Path) -> None:
    with edited_engine.index.searcher() as searcher:
        reader = searcher.leaf_searchers()[0][0].reader()
        table = decode_segment(reader)
    assert table_files.save(table, tmp_path) is not None
    loaded = table_files.load(tmp_path, table.key, table.doc_count)
    assert loaded is not None and loaded.totals == table.totals
    assert any(len(docs) for docs in table.phrases.values())
    assert {k: v.tolist() for k, v in loaded.phrases.items()} == {k: v.tolist() for k, v in table.phrases.items()}
    for name, postings in table.fields.items():
        other = loaded.fields[name]
        assert other.terms == postings.terms
        for array in ("doc_freqs", "starts", "docs", "weights"):
            assert getattr(other, array).tolist() == getattr(postings, array).tolist()
    assert table_files.load(tmp_path, table.key, table.doc_count + 1) is None  # not this segment's table
    path = table_files.table_path(tmp_path, table.key)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert table_files.load(tmp_path, table.key, table.doc_count) is None  # damaged: read from Whoosh again


def test_a_flat_or_is_whooshs_normalized_or(bundled_engine: SearchEngine) -> None:
    cases = [c.text for c in load_cases(DEFAULT_CASES)][:60]
    with bundled_engine.index.searcher() as searcher:
        for text in cases:
            case = analyse_case(text, bundled_engine.synonyms)
            keys = key_terms(searcher, case.terms, bundled_engine.synonyms, bundled_engine.index.speller())
            clauses = [term_query(k.phrase, k.weight) for k in keys]
            clauses += [
                term_query(alt, 0.25 * k.weight) for k in keys for alt in bundled_engine.synonyms.expand(k.phrase)
            ]
            clauses += [Term("codes", c, boost=4.0) for c in case.entities.codes]
            if clauses:
                assert flat_or(clauses) == Or(clauses).normalize()
