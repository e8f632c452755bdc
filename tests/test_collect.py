"""The flat-OR table scorer must agree with Whoosh's own union, on the real bundled index."""

from __future__ import annotations

from pathlib import Path

import pytest
import whoosh
from whoosh.query import Or, Phrase, Query, Term
from whoosh.searching import Searcher

from conftest import article
from kbassist.search.case import analyse_case
from kbassist.search.case_query import build_case_query, key_terms
from kbassist.search.collect import collect, leaves, scoring_cache
from kbassist.search.engine import SearchEngine
from kbassist.search.whoosh_postings import FAST_PATH, FastPath

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
