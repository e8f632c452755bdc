"""The Whoosh index: built once, updated incrementally, rebuilt cleanly when it cannot be trusted."""

import json
import multiprocessing
import os
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
from whoosh.analysis import StemmingAnalyzer
from whoosh.reading import MultiReader, SegmentReader

from conftest import BUNDLED_KB, article, write
from kbassist.content.kb_files import iter_kb_files
from kbassist.content.parser import parse_file
from kbassist.search import parallel_build
from kbassist.search.edit_merge import EDIT_SEGMENT_DOCS, MERGE_EDITS_AT
from kbassist.search.engine import SearchEngine
from kbassist.search.index import KbIndex
from kbassist.search.schema import SCHEMA_VERSION
from kbassist.search.segment_cache import segment_readers
from kbassist.search.spelling import Speller, spell_words
from kbassist.search.text import ANALYZER


def ids(engine: SearchEngine, query: str) -> list[str]:
    return [h.id for h in engine.search(query)]


def test_build_then_nothing_to_do(mini_kb: Path) -> None:
    engine = SearchEngine(mini_kb)
    first = engine.update()
    assert (first.added, first.changed, first.removed) == (5, 0, 0)
    again = engine.update()
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 5)
    assert engine.index.doc_count() == 5
    engine.close()


def test_incremental_add_change_remove_are_searchable_at_once(mini_kb: Path) -> None:
    engine = SearchEngine(mini_kb)
    engine.update()
    assert ids(engine, "terminal reader bluetooth") == []
    article(mini_kb, "terminal", "bluetooth", "Reader will not pair over bluetooth", "Forget the reader first.")
    timeline = mini_kb / "articles/refunds/refund-timeline.md"
    timeline.write_text(timeline.read_text().replace("5-10 business days", "ten working days, ask for the ARN"))
    (mini_kb / "articles/refunds/refund-failed.md").unlink()
    report = engine.update()
    assert (report.added, report.changed, report.removed) == (1, 1, 1)
    assert ids(engine, "bluetooth") == ["terminal-bluetooth"]
    assert "refunds-refund-timeline" in ids(engine, "ARN")
    assert engine.get("refunds-refund-failed") is None
    assert engine.get("refunds-refund-timeline").body.count("ARN") == 1
    engine.close()


def test_touched_but_unchanged_file_is_not_counted_as_changed(mini_kb: Path) -> None:
    engine = SearchEngine(mini_kb)
    engine.update()
    path = mini_kb / "articles/refunds/refund-failed.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    report = engine.update()
    assert (report.added, report.changed, report.unchanged) == (0, 0, 5)
    engine.close()


def test_file_that_breaks_leaves_the_index_and_is_reported(mini_kb: Path) -> None:
    engine = SearchEngine(mini_kb)
    engine.update()
    (mini_kb / "articles/disputes/dispute-fee.md").write_text("---\nid: [broken\n---\n")
    report = engine.update()
    assert engine.get("disputes-dispute-fee") is None
    assert [p.rel_path for p in report.problems] == ["articles/disputes/dispute-fee.md"]
    assert engine.get("refunds-refund-timeline") is not None
    engine.close()


def test_new_file_cannot_steal_an_indexed_id(mini_kb: Path) -> None:
    engine = SearchEngine(mini_kb)
    engine.update()
    write(
        mini_kb / "articles/account/copy.md",
        (mini_kb / "articles/refunds/refund-timeline.md").read_text().replace("product: refunds", "product: account"),
    )
    report = engine.update()
    assert "duplicate id 'refunds-refund-timeline'" in report.problems[0].reason
    assert engine.get("refunds-refund-timeline").product == "refunds"
    engine.close()


def _corrupt(index_root: Path) -> None:
    state = json.loads((index_root / "state.json").read_text())
    for f in (index_root / state["active"]).iterdir():
        if f.suffix in (".toc", ".seg") or f.name.endswith(".toc"):
            f.write_bytes(b"\x00garbage" * 10)


def test_damaged_index_is_rebuilt_with_a_message(mini_kb: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    engine = SearchEngine(mini_kb, index_root=root)
    engine.update()
    engine.close()
    _corrupt(root)
    reopened = SearchEngine(mini_kb, index_root=root)
    assert any("damaged" in m for m in reopened.index.messages)
    reopened.update()
    assert reopened.index.doc_count() == 5
    assert ids(reopened, "chargeback fee")[0] == "disputes-dispute-fee"
    reopened.close()


def test_schema_change_triggers_rebuild(mini_kb: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    SearchEngine(mini_kb, index_root=root).update()
    state = json.loads((root / "state.json").read_text())
    state["schema_version"] = SCHEMA_VERSION - 1
    (root / "state.json").write_text(json.dumps(state))
    engine = SearchEngine(mini_kb, index_root=root)
    assert any("format changed" in m for m in engine.index.messages)
    assert engine.update().added == 5
    engine.close()


def _hold_lock(index_dir: str, ready, release) -> None:  # runs in another process
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(index_dir)
    writer = ix.writer()
    ready.set()
    release.wait(30)
    writer.cancel()


def test_lock_held_elsewhere_leads_to_a_fresh_rebuild(mini_kb: Path, tmp_path: Path) -> None:
    root = tmp_path / "ix"
    engine = SearchEngine(mini_kb, index_root=root)
    engine.update()
    active = root / json.loads((root / "state.json").read_text())["active"]
    article(mini_kb, "tax", "vat", "VAT on invoices", "Reverse charge.")
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(active), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        report = engine.update()
    finally:
        release.set()
        holder.join(30)
    assert report.rebuilt
    assert any("locked" in m for m in report.messages)
    assert ids(engine, "VAT invoices")[0] == "tax-vat"
    engine.close()


def test_kept_searcher_is_refreshed_not_reopened(mini_kb: Path) -> None:
    index = KbIndex(mini_kb)
    index.update()
    with index.searcher() as before:
        pass
    article(mini_kb, "tax", "vat", "VAT on invoices", "Reverse charge.")
    index.update()
    with index.searcher() as after:
        assert after.up_to_date()
        assert after.doc_count() == 6
    assert before is not after  # refresh() hands back a new searcher over the new segments
    index.close()


def test_stop_keeps_what_was_indexed_and_the_next_start_carries_on(mini_kb: Path, tmp_path: Path) -> None:
    for n in range(12):
        article(mini_kb, "payments", f"extra-{n}", f"Extra topic {n}", f"Body about zebrafish number {n}.")
    index = KbIndex(mini_kb, tmp_path / "ix")

    def stop_after_five(done: int, _total: int, _rel: str) -> None:
        if done == 5:
            index.stop()  # as the window does when the associate quits during a long first build

    report = index.update(stop_after_five)
    assert report.stopped and report.added == 5
    assert index.doc_count() == 5
    assert index.update().added == 0  # a stopped index takes no more work (the app is quitting)
    index.close()

    again = KbIndex(mini_kb, tmp_path / "ix")
    report = again.update()
    assert not report.stopped and report.unchanged == 5
    assert again.doc_count() == len(list((mini_kb / "articles").rglob("*.md"))) + len(
        list((mini_kb / "macros").rglob("*.md"))
    )
    again.close()


def test_an_impossible_date_is_reported_and_indexing_goes_on(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    for i in range(5):
        date = "2026-02-30" if i == 2 else "2026-01-02"
        write(
            kb / f"articles/refunds/a{i}.md",
            f"---\nid: refunds-a{i}\ntitle: Refund {i}\nproduct: refunds\ntags: [a]\nowner: x\n"
            f"reviewed: {date}\n---\nbody\n",
        )
    engine = SearchEngine(kb, index_root=tmp_path / "index", embedder=False)
    report = engine.update()
    assert {i.id for i in engine.index.all_items()} == {f"refunds-a{i}" for i in (0, 1, 3, 4)}
    assert [p.rel_path for p in report.problems] == ["articles/refunds/a2.md"]
    engine.close()


def _dupe_pair(kb: Path) -> tuple[Path, Path]:
    body = "---\nid: refunds-same\ntitle: {t}\nproduct: refunds\ntags: [a]\nowner: x\nreviewed: 2026-01-02\n---\nbody\n"
    newer = write(kb / "articles/refunds/a-newer.md", body.format(t="Newer"))  # first in path order
    older = write(kb / "articles/refunds/b-older.md", body.format(t="Older"))
    os.utime(newer, ns=(2_000_000_000_000_000_000, 2_000_000_000_000_000_000))
    os.utime(older, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    return newer, older


def test_of_two_files_with_one_id_the_older_keeps_it_in_lint_and_index(tmp_path: Path) -> None:
    from kbassist.content.loader import load_kb

    kb = tmp_path / "kb"
    _dupe_pair(kb)
    content = load_kb(kb)
    assert content.items["refunds-same"].title == "Older"
    assert [p.rel_path for p in content.problems] == ["articles/refunds/a-newer.md"]
    engine = SearchEngine(kb, index_root=tmp_path / "index", embedder=False)
    report = engine.update()
    item = engine.get("refunds-same")
    assert item is not None and item.title == "Older"
    assert [p.rel_path for p in report.problems] == ["articles/refunds/a-newer.md"]
    engine.close()


def test_an_older_file_that_appears_later_takes_its_id_back(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    _newer, older = _dupe_pair(kb)
    hidden = older.rename(tmp_path / "b-older.md")
    engine = SearchEngine(kb, index_root=tmp_path / "index", embedder=False)
    engine.update()
    assert engine.get("refunds-same").title == "Newer"  # type: ignore[union-attr]
    hidden.rename(older)  # restored from a backup with its old mtime
    report = engine.update()
    assert engine.get("refunds-same").title == "Older"  # type: ignore[union-attr]
    assert [p.rel_path for p in report.problems] == ["articles/refunds/a-newer.md"]
    assert [p.rel_path for p in engine.update().problems] == ["articles/refunds/a-newer.md"]  # and stays so
    engine.close()


def test_damage_in_the_middle_of_a_segment_is_rebuilt_when_a_read_hits_it(tmp_path: Path) -> None:
    """Usually not seen when the index opens (its head and tail are intact), so before, every search touching
    it raised. Where the random bytes reach what opening reads, the open already rebuilds, as before; where
    no query reads them, searches go on and the full check finds them."""
    import random

    from conftest import BUNDLED_KB

    engine = SearchEngine(BUNDLED_KB, index_root=tmp_path / "index", embedder=False)
    engine.update()
    engine.close()
    generation = next(p for p in (tmp_path / "index").glob("gen-*") if p.is_dir())
    segment = max(generation.glob("*.seg"), key=lambda p: p.stat().st_size)
    data = bytearray(segment.read_bytes())
    rng = random.Random(1)
    start, end = len(data) * 3 // 10, len(data) * 7 // 10  # head and tail, read when it opens, stay intact
    data[start:end] = bytes(rng.randrange(256) for _ in range(end - start))
    segment.write_bytes(bytes(data))
    engine = SearchEngine(BUNDLED_KB, index_root=tmp_path / "index", embedder=False)
    said = list(engine.index.messages)
    if said:  # the damage reached what opening reads: the older path, a fresh generation to fill
        engine.update()
    queries = ["refund not arrived", "payout failed bank account closed", "dispute evidence deadline",
               "webhook signature", "card declined insufficient funds", "invoice past due"]  # fmt: skip
    for query in queries:
        assert engine.suggest(query).articles, query
        assert engine.search(query), query
    said += engine.index.messages
    if not any("damaged" in m for m in said):
        # No query read the damaged bytes: scores, phrases, briefs and words come from the files kept beside
        # each segment, so only an item's stored Markdown or the full check reads the segment itself.
        reason = engine.check()
        assert reason is not None
        said += engine.recover(reason).messages
    assert any("damaged" in m and "rebuil" in m for m in said)
    for query in queries:
        assert engine.suggest(query).articles, query
    engine.close()


# ----------------------------------------------------------------------------- updates from what changed
def test_an_update_of_the_paths_a_watcher_reported_reads_only_those(mini_kb: Path) -> None:
    engine = SearchEngine(mini_kb, embedder=False)
    engine.update()
    folder = mini_kb / "articles/refunds"
    timeline = folder / "refund-timeline.md"
    timeline.write_text(timeline.read_text().replace("5-10 business days", "ten working days, ask for the ARN"))
    (folder / "refund-failed.md").unlink()
    article(mini_kb, "refunds", "refund-fee", "Refund fee", "Stripe keeps the processing fee of a refunded charge.")
    fee = mini_kb / "articles/disputes/dispute-fee.md"
    fee.write_text(fee.read_text().replace("$15", "$20"))  # changed too, but nobody reported it
    report = engine.update(changed=[timeline, folder])
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 3)
    assert ids(engine, "ARN") == ["refunds-refund-timeline"]
    assert ids(engine, "processing fee refunded")[0] == "refunds-refund-fee"
    assert engine.get("refunds-refund-failed") is None
    assert "$15" in engine.get("disputes-dispute-fee").body  # not reported: not looked at
    assert engine.update().changed == 1  # a full update finds it
    # A translation is read with its macro, never indexed on its own, whoever reports it.
    spanish = write(mini_kb / "macros/refunds/refund-delay.es.md", "---\ntitle: Reembolso\n---\nHola.\n")
    report = engine.update(changed=[spanish, spanish.parent])
    assert (report.added, report.changed, report.problems) == (0, 0, [])
    engine.close()


def test_a_reported_folder_that_is_gone_removes_its_files_and_the_kb_root_means_every_file(mini_kb: Path) -> None:
    engine = SearchEngine(mini_kb, embedder=False)
    engine.update()
    folder = mini_kb / "articles/disputes"
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    article(mini_kb, "tax", "vat", "VAT on invoices", "Reverse charge.")
    assert engine.update(changed=[folder, mini_kb / "outside.txt", "/elsewhere/x.md"]).removed == 1
    assert engine.get("tax-vat") is None
    assert engine.update(changed=[mini_kb]).added == 1  # the KB folder itself: everything is looked at
    assert ids(engine, "reverse charge")[0] == "tax-vat"
    engine.close()


def test_an_update_never_reads_the_stored_markdown(mini_kb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the index holds of each file comes from its records, kept in a column without the Markdown."""
    engine = SearchEngine(mini_kb, embedder=False)
    engine.update()
    article(mini_kb, "tax", "vat", "VAT on invoices", "Reverse charge.")

    def refuse(*_args: object) -> None:
        raise AssertionError("stored fields read")

    for reader in (SegmentReader, MultiReader):
        monkeypatch.setattr(reader, "stored_fields", refuse)
        monkeypatch.setattr(reader, "all_stored_fields", refuse)
    report = engine.update()
    assert (report.added, report.unchanged) == (1, 5)
    items = engine.index.all_items()
    assert {i.id for i in items} >= {"tax-vat", "refunds-refund-timeline"} and len(items) == 6
    assert all(i.body == "" and i.signature for i in items)  # records: everything but the Markdown
    timeline = next(i for i in items if i.id == "refunds-refund-timeline")
    assert timeline.tags == ("refund", "timeline") and timeline.reviewed is not None
    engine.close()


def test_did_you_mean_counts_each_segments_words_as_one_list_would(mini_kb: Path) -> None:
    """A word's frequency is the number of documents that hold it (an edited file's old version too, as Whoosh
    counts a term's documents), summed over the segments; corrections and completions follow from it."""
    engine = SearchEngine(mini_kb, embedder=False)
    engine.update()
    texts = [f"{i.title}\n{' '.join(i.tags)}\n{parse_file(i.path, mini_kb).plain_text}" for i in engine.items()]
    for n in range(3):
        path = article(mini_kb, "payouts", f"late-{n}", f"Payout late {n}", "The payout to the bank account is late.")
        engine.update()
        texts.append(f"Payout late {n}\n\n{parse_file(path, mini_kb).plain_text}")
    path.write_text(path.read_text().replace("late.", "late, again."))
    engine.update()
    texts.append(f"Payout late 2\n\n{parse_file(path, mini_kb).plain_text}")
    whole = Speller(Counter(word for text in texts for word in spell_words(text)).items())
    parts = engine.index.speller()
    assert len(parts.parts) > 3
    for typo in ("payot", "acount", "refnd", "chargbak", "statment", "disputed", "zzzzzz", "bnk", "agan"):
        assert parts.correct(typo) == whole.correct(typo)
        assert (typo in parts) == (typo in whole)
    assert parts.frequency("payout") == whole.frequency("payout") == 4
    assert parts.frequency("again") == 1
    for prefix in ("pay", "re", "ch", "dis", "b", "a"):
        assert parts.completions(prefix, 3) == whole.completions(prefix, 3)
    assert parts.completions("pay", 3)[0] == "payout"
    engine.close()


# ----------------------------------------------------------------------------- a large update on both cores
def _scores(engine: SearchEngine, query: str) -> dict[str, float]:
    return {h.id: h.score for h in engine.search(query, limit=500)}


def test_a_large_update_written_by_the_builder_process_indexes_what_the_serial_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    write(kb / "articles/refunds/broken.md", "---\nid: [nope\n---\n")
    queries = ["refund late", "payout failed", "webhook signature", "dispute evidence", "card declined"]
    serial = SearchEngine(kb, index_root=tmp_path / "serial", embedder=False)
    serial_report = serial.update()
    monkeypatch.setattr(parallel_build, "PARALLEL_FROM", 50)
    monkeypatch.setattr(parallel_build, "FIRST_COMMIT", 40)
    seen: list[int] = []
    builder = SearchEngine(kb, index_root=tmp_path / "builder", embedder=False)
    report = builder.update(lambda done, _total, _rel: seen.append(done))
    assert (report.added, [p.rel_path for p in report.problems]) == (
        serial_report.added,
        [p.rel_path for p in serial_report.problems],
    )
    assert seen and seen[-1] == report.added + len(report.problems)
    with builder.index.searcher() as searcher:
        assert len(searcher.leaf_searchers()) > 2  # several batches, two writers each
    assert builder.index.scoring().table is not None
    active = json.loads((tmp_path / "builder/state.json").read_text())["active"]
    assert list((tmp_path / "builder" / active / "scoring").glob("*.table"))  # decoded by the builder
    assert builder.doc_count() == serial.doc_count()
    for query in queries:
        # The same documents, scores within a fraction of a percent: the serial update merges its segments at
        # the end, and Whoosh sums a merged segment's field lengths from their one-byte approximations.
        ours, theirs = _scores(builder, query), _scores(serial, query)
        assert ours.keys() == theirs.keys()
        assert all(ours[i] == pytest.approx(theirs[i], rel=0.01) for i in ours)
    assert {i.id for i in builder.items()} == {i.id for i in serial.items()}
    for engine in (serial, builder):
        engine.close()


def _with_copies(kb: Path, copies: int) -> None:
    """``copies`` more of every article and macro of ``kb``, each with an id of its own."""
    for path in list(iter_kb_files(kb)):
        text = path.read_text("utf-8")
        for copy in range(copies):
            renamed = re.sub(r"^id: (.+)$", rf"id: \1-copy{copy}", text, count=1, flags=re.M)
            write(path.with_name(f"{path.stem}-copy{copy}.md"), renamed)


def test_a_builder_told_to_stop_keeps_what_it_committed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stopped at its first progress message, whatever the machine's speed: its workers decide a few hundred
    files at most before the stop reaches them, of a KB three times the bundled one."""
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    _with_copies(kb, 2)
    monkeypatch.setattr(parallel_build, "PARALLEL_FROM", 50)
    monkeypatch.setattr(parallel_build, "FIRST_COMMIT", 40)
    index = KbIndex(kb, tmp_path / "ix")

    def stop_soon(done: int, _total: int, _rel: str) -> None:
        if done > 0:
            index.stop()

    report = index.update(stop_soon)
    assert report.stopped and 0 < index.doc_count() < len(list(kb.rglob("*.md")))
    index.close()
    again = KbIndex(kb, tmp_path / "ix")
    assert not again.update().stopped
    assert again.doc_count() == len(list(iter_kb_files(kb)))  # translations are read with their macro
    again.close()


def test_the_index_analyzer_cuts_text_as_whooshs_stemming_analyzer(mini_kb: Path) -> None:
    reference = StemmingAnalyzer(minsize=2, cachesize=50000)
    texts = [p.read_text("utf-8") for p in sorted(BUNDLED_KB.rglob("*.md"))]
    texts += ["the the a refund", "A I of", "x", "", "Ünïcødé façade naïve", "LUNACANDLES* LUNA", "e.g. U.S.A. v1.2.3"]
    for text in texts:
        for options in (
            {},
            {"positions": True},
            {"positions": True, "start_pos": 5},
            {"chars": True, "positions": True},
        ):
            ours = [(t.text, getattr(t, "pos", None), t.boost) for t in ANALYZER(text, **options)]
            assert ours == [(t.text, getattr(t, "pos", None), t.boost) for t in reference(text, **options)]


def _segments(engine: SearchEngine) -> list[tuple[str, int]]:
    with engine.index.searcher() as searcher:
        return [(r.segment().segment_id(), r.doc_count_all()) for r in segment_readers(searcher)]


def test_edits_are_searchable_at_once_and_merged_apart_from_the_build_once_quiet(tmp_path: Path) -> None:
    """An edit's commit never merges (Whoosh's default pulled a build's segments in: seconds at 10,000
    articles); once there are enough edits' segments and no update for a while, they become one."""
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    with SearchEngine(kb, index_root=tmp_path / "index", embedder=False) as engine:
        engine.update()
        built = _segments(engine)
        assert all(count > EDIT_SEGMENT_DOCS for _id, count in built)
        engine.index._merge.quiet = 0.3
        files = sorted((kb / "articles").rglob("*.md"))[:MERGE_EDITS_AT]
        for number, path in enumerate(files):
            path.write_text(path.read_text("utf-8") + f"\nzqedit{number} saved.\n", "utf-8")
            engine.update(changed=[path])
            assert ids(engine, f"zqedit{number}"), number  # searchable before any merge
            assert len(_segments(engine)) == len(built) + number + 1  # one segment more per edit
        deadline = time.monotonic() + 60
        while len(_segments(engine)) > len(built) + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        after = _segments(engine)
        assert after[: len(built)] == built  # the build's segments untouched
        assert len(after) == len(built) + 1 and after[-1][1] == MERGE_EDITS_AT
        for number in range(MERGE_EDITS_AT):
            assert ids(engine, f"zqedit{number}"), number
        assert engine.doc_count() == len(list(iter_kb_files(kb)))


def test_warm_up_reads_what_a_first_suggestion_needs(mini_kb: Path, tmp_path: Path) -> None:
    """After ``warm_up`` a suggestion builds none of the commit's values again: the same objects serve it."""
    engine = SearchEngine(mini_kb, index_root=tmp_path / "ix", embedder=False)
    engine.update()
    engine.warm_up()
    warmed = dict(engine.index._derived)
    assert {"scoring", "speller", "macro_reliance", "docnums"} <= set(warmed)
    result = engine.suggest("My refund has not shown up on my statement yet")
    assert result.articles
    assert all(engine.index._derived[name] is value for name, value in warmed.items())
    engine.close()
