"""An edit's path through the index: the searchers sharing each segment's open files, the manifest of what
the index holds kept in step commit by commit, the macros' links kept per segment. Each step is compared with
what an engine opened afresh on the same commit answers (it makes all of that from scratch)."""

import functools
import os
import shutil
import time
from collections.abc import Callable
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest

from conftest import BUNDLED_KB, write
from kbassist.search.edit_merge import MERGE_EDITS_AT, edit_segments
from kbassist.search.engine import SearchEngine
from kbassist.search.manifest import Manifest
from kbassist.search.ranking import macro_reliance
from kbassist.search.records import FileState, LiveLookup, read_records
from kbassist.search.schema import from_stored
from kbassist.search.segment_cache import segment_readers

CASES = (
    "Hi, my identity verification failed twice, the selfie check keeps rejecting me. What can I do?",
    "A customer disputes a charge and we need to submit evidence before the deadline. How?",
    "Our payout failed and the money went back to the balance, the bank account looks wrong.",
)
_ORDER = attrgetter("kind", "product", "title")
QUERIES = ("refund", "selfie verification", "payout failed bank", "zqxvedited")


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, root)
    return root


def _live_records(engine: SearchEngine) -> list[dict[str, Any]]:
    """Every live document's record, in document order, read from the index itself (not the briefs)."""
    with engine.index.searcher() as searcher:
        return [
            record
            for reader in segment_readers(searcher)
            for doc, record in enumerate(read_records(reader))
            if record is not None and not reader.is_deleted(doc)
        ]


def _from_records(engine: SearchEngine) -> dict[str, FileState]:
    """What the index holds of each live file."""
    return {r["path"]: FileState(r["signature"], r["mtime_ns"], r["size"], r["id"]) for r in _live_records(engine)}


def _manifest(engine: SearchEngine) -> Manifest:
    """The manifest an update would start from now."""
    assert engine.index._ix is not None
    manifest = engine.index._indexed_files(engine.index._ix)
    assert isinstance(manifest, Manifest)
    return manifest


def _answers(engine: SearchEngine) -> dict[str, Any]:
    suggestions = [engine.suggest(case) for case in CASES]
    return {
        "suggest": [
            [(s.id, s.score, s.why) for s in [*found.articles, *found.macros]] + [found.confidence]
            for found in suggestions
        ],
        "search": [[(h.id, h.score) for h in engine.search(query)] for query in QUERIES],
        "did_you_mean": [engine.did_you_mean(q) for q in ("refnud", "verificaton selfie")],
        "items": [(i.id, i.title) for i in engine.items()],
        "count": engine.doc_count(),
    }


def _same_as_afresh(engine: SearchEngine, index_root: Path) -> None:
    """The engine's manifest and answers equal those made from scratch for the same commit (the write lock
    held: no merge commits meanwhile)."""
    index = engine.index
    with index._write_lock:
        manifest = _manifest(engine)
        expected = _from_records(engine)
        assert dict(manifest.items()) == expected
        assert {state.item_id: manifest.holder(state.item_id) for state in expected.values()} == {
            state.item_id: rel for rel, state in expected.items()
        }
        with index.searcher() as searcher:  # the macros' links, looked up per segment, as one dict of all records
            assert dict(LiveLookup(searcher, engine._relied_on)) == macro_reliance(_live_records(engine))
        for record in _live_records(engine):  # each id read from the document holding it (looked up per segment)
            found = index.get(record["id"])
            assert found is not None and found.rel_path == record["path"]
        items = sorted((from_stored(r, engine.kb_root) for r in _live_records(engine)), key=_ORDER)
        assert [(i.id, i.path) for i in engine.items()] == [(i.id, i.path) for i in items]  # sorted as one list
        with SearchEngine(engine.kb_root, index_root=index_root, embedder=False) as fresh:
            assert _answers(engine) == _answers(fresh)


def _edit(path: Path, text: str) -> None:
    path.write_text(path.read_text("utf-8") + f"\n{text}\n", "utf-8")


def test_edits_deletions_renames_and_merges_answer_as_an_index_opened_afresh(kb: Path, tmp_path: Path) -> None:
    index_root = tmp_path / "index"
    with SearchEngine(kb, index_root=index_root, embedder=False) as engine:
        engine.update()
        _answers(engine)  # every value made per commit is made once before the edits
        built = len(_segments(engine))
        engine.index._merge.quiet = 0.3
        articles = sorted((kb / "articles").rglob("*.md"))
        macro = kb / "macros/identity/retry-verification.md"
        renamed = articles[4].with_name("renamed-" + articles[4].name)
        steps: list[tuple[Callable[[], object], list[Path]]] = [
            # Edits, each reported alone: searchable at once.
            *[
                (functools.partial(_edit, p, f"zqxvedited{n} and a selfie check"), [p])
                for n, p in enumerate(articles[:3])
            ],
            # A macro that now relies on another article (its links are kept per segment).
            (
                lambda: macro.write_text(
                    macro.read_text("utf-8").replace("identity-selfie-check-failed]", "payouts-payout-failed]")
                ),
                [macro],
            ),
            # A file deleted, and one renamed (the watcher reports the old path, the new one and their folder).
            (articles[3].unlink, [articles[3]]),
            (lambda: articles[4].rename(renamed), [articles[4], renamed, renamed.parent]),
            *[(functools.partial(_edit, p, "zqxvedited again"), [p]) for p in articles[5 : 5 + MERGE_EDITS_AT]],
        ]
        for change, reported in steps:
            change()
            report = engine.update(changed=reported)
            assert report.touched, reported
            _same_as_afresh(engine, index_root)
        assert [h.id for h in engine.search("zqxvedited0")]
        # The merge thread ran (eight edits' segments and a quiet spell) and the answers did not move.
        deadline = time.monotonic() + 60
        while _edit_segments(engine) >= MERGE_EDITS_AT:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert len(_segments(engine)) < built + len(steps) - 1  # one step only deleted: no segment of its own
        _same_as_afresh(engine, index_root)


def _segments(engine: SearchEngine) -> list[Any]:
    with engine.index.searcher() as searcher:
        return segment_readers(searcher)


def _edit_segments(engine: SearchEngine) -> int:
    with engine.index.searcher() as searcher:
        return edit_segments(searcher)


def test_a_reported_file_with_an_id_another_file_holds_is_refused_unless_it_is_older(kb: Path, tmp_path: Path) -> None:
    """The watcher's update asks the manifest who holds an id only for the ids its files carry, with the rule
    a full update follows: the older file keeps the id."""
    with SearchEngine(kb, index_root=tmp_path / "index", embedder=False) as engine:
        engine.update()
        holder = kb / "macros/identity/retry-verification.md"
        copy = write(kb / "macros/identity/retry-copy.md", holder.read_text("utf-8").replace("tips", "hints"))
        report = engine.update(changed=[copy])
        assert (report.added, [p.rel_path for p in report.problems]) == (0, ["macros/identity/retry-copy.md"])
        assert "duplicate id" in report.problems[0].reason
        older = holder.stat().st_mtime_ns - 10_000_000_000
        os.utime(copy, ns=(older, older))  # now the copy came first: it takes the id, the other file gives it up
        report = engine.update(changed=[copy])
        assert report.added == 1 and [p.rel_path for p in report.problems] == ["macros/identity/retry-verification.md"]
        assert engine.get("macro-identity-retry-verification").title.endswith("for trying again")
        assert _manifest(engine).holder("macro-identity-retry-verification") == "macros/identity/retry-copy.md"
        assert engine.update().problems == report.problems  # a full update agrees
        _same_as_afresh(engine, tmp_path / "index")


def test_a_commit_reopens_only_the_segments_it_added_and_shows_its_deletions(kb: Path, tmp_path: Path) -> None:
    with SearchEngine(kb, index_root=tmp_path / "index", embedder=False) as engine:
        engine.update()
        with engine.index.searcher() as searcher:
            before = {r.segment().segment_id(): r._terms for r in segment_readers(searcher)}
        gone = sorted((kb / "articles").rglob("*.md"))[0]
        gone_id = _manifest(engine)[gone.relative_to(kb).as_posix()].item_id
        count = engine.doc_count()
        gone.unlink()
        assert engine.update(changed=[gone]).removed == 1  # a commit that only deletes
        with engine.index.searcher() as searcher:
            after = {r.segment().segment_id(): r._terms for r in segment_readers(searcher)}
        assert after.keys() == before.keys()
        assert all(after[key] is terms for key, terms in before.items())  # the same open files
        assert engine.doc_count() == count - 1
        assert engine.get(gone_id) is None
        assert gone_id not in {i.id for i in engine.items()}
        _same_as_afresh(engine, tmp_path / "index")
