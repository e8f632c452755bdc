"""The recorder as the window uses it: events land on disk, never block the caller, never hold case text."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from kbassist import paths
from kbassist.usage import UsageRecorder, UsageStore, edit_ratio

CASE = (
    "Hi, this is Daniel Kim from Northwind Outfitters. Card 4242 4242 4242 4242 was charged twice for order 5521, "
    "charge ch_3PqRsT2eZvKYlo2C1a2b3c4d. Mail me at daniel.kim@northwind.example or call +1 (415) 555-2671. "
    "Our IBAN is DE89 3704 0044 0532 0130 00 and please do not share sk_live_51HqLyjWDarjtT1zdp7dc0abcdef."
)
SECRETS = ("4242", "3PqRsT2e", "daniel.kim", "555-2671", "DE89", "3704", "51HqLyj", "Northwind", "twice")


def _events(path: Path) -> list:
    with UsageStore(path) as store:
        return list(store.events())


def test_every_call_is_recorded(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    with UsageRecorder(db, app_version="9.9") as rec:
        rec.kb_version = "kb-1"
        sid = rec.new_session()
        rec.suggestion_shown(sid, "refunds-timeline", "article", 1, 7.25)
        rec.suggestion_shown(sid, "macro-refund", "macro", 2, 5.5)
        rec.article_opened(sid, "refunds-timeline", "suggestion")
        rec.macro_previewed(sid, "macro-refund", "favorite")
        rec.macro_copied(sid, "macro-refund", 0.125, 2, "search")
        rec.search(sid, "refund  late", 3)
        rec.feedback(sid, "refunds-timeline", False)
        rec.kb_version = "kb-2"
        rec.none_fit(sid, ["crypto", "payout"])
        rec.flush()
        assert rec.committed == 9 and rec.pending == 0 and rec.dropped == 0
    events = _events(db)
    assert [e.kind for e in events] == [
        "session",
        "shown",
        "shown",
        "opened",
        "previewed",
        "copied",
        "search",
        "feedback",
        "none_fit",
    ]
    assert {e.session for e in events} == {sid}
    shown = events[1]
    assert (shown.item_id, shown.item_kind, shown.rank, shown.score) == ("refunds-timeline", "article", 1, 7.25)
    assert (events[3].source, events[4].source) == ("suggestion", "favorite")
    copied = events[5]
    assert (copied.item_id, copied.edit_ratio, copied.unfilled, copied.source) == ("macro-refund", 0.125, 2, "search")
    assert events[6].terms == ("refund late",) and events[6].result_count == 3
    assert events[7].helpful is False
    assert events[8].terms == ("crypto", "payout")
    assert all(e.app_version == "9.9" for e in events)
    assert [e.kb_version for e in events][-2:] == ["kb-1", "kb-2"]


def test_what_a_team_needs_is_recorded(tmp_path: Path) -> None:
    """Identity, day, product, the auto-opened article, the names of unfilled placeholders, macro votes."""
    db = tmp_path / "u.sqlite3"
    with UsageRecorder(db) as rec:
        sid = rec.new_session()
        rec.suggestion_shown(sid, "refunds-timeline", "article", 1, 7.25, product="refunds")
        rec.article_opened(sid, "refunds-timeline", "auto", product="refunds")
        rec.macro_copied(sid, "macro-refund", 0.123456, ["last4", "date", "last4"], "suggestion", product="refunds")
        rec.feedback(sid, "macro-refund", True, kind="macro", product="refunds")
        with pytest.raises(ValueError, match="source"):
            rec.macro_previewed(sid, "macro-refund", "auto")  # only articles are opened by the window itself
    events = _events(db)
    assert len({e.event_id for e in events}) == 5 and all(e.day == time.strftime("%Y-%m-%d") for e in events)
    assert [e.product for e in events] == [None, "refunds", "refunds", "refunds", "refunds"]
    assert events[2].source == "auto"
    copied = events[3]
    assert (copied.edit_ratio, copied.unfilled, copied.placeholders) == (0.123, 2, ("last4", "date"))
    assert (events[4].item_kind, events[4].helpful) == ("macro", True)


def test_session_ids_are_random(tmp_path: Path) -> None:
    with UsageRecorder(tmp_path / "u.sqlite3") as rec:
        ids = {rec.new_session() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_no_case_text_reaches_the_file_or_the_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "u.sqlite3"
    with UsageRecorder(db) as rec:
        sid = rec.new_session()
        rec.search(sid, CASE, 0)  # the whole case pasted into the search box
        rec.search(sid, "refund twice 4242 4242 4242 4242 " + "x" * 3000, 0)  # huge: not even redacted
        rec.search(sid, "double charge ch_3PqRsT2eZvKYlo2C1a2b3c4d daniel.kim@northwind.example", 0)
        key_terms = ["double charge", "refund", "4000 0566 5566 5556", "daniel.kim@northwind.example"]
        rec.none_fit(sid, [*key_terms, *CASE.split(". ")])  # over-long "terms" are dropped, not clipped
        rec.flush()
    searches = [e.terms for e in _events(db) if e.kind == "search"]
    assert searches == [("[pasted text]",), ("[pasted text]",), ("double charge ch_… [email]",)]
    (none_fit,) = [e for e in _events(db) if e.kind == "none_fit"]
    assert none_fit.terms == ("double charge", "refund", "[card]", "[email]")
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in SECRETS:
        assert secret.encode() not in raw, secret
        assert secret not in caplog.text
    assert b"ch_\xe2\x80\xa6" in raw  # the charge ID survived as its prefix only


def test_disabled_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    rec = UsageRecorder(db, enabled=False)
    sid = rec.new_session()
    rec.suggestion_shown(sid, "a", "article", 1, 1.0)
    rec.macro_copied(sid, "m", 0.0, 0, "suggestion")
    rec.search(sid, "x", 0)
    rec.none_fit(sid, ["x"])
    rec.feedback(sid, "a", True)
    rec.flush()
    assert not db.exists() and not list(tmp_path.iterdir())
    rec.enabled = True
    rec.search(sid, "recorded", 1)
    rec.flush()
    rec.enabled = False
    rec.search(sid, "not recorded", 1)
    rec.close()
    assert [e.terms for e in _events(db)] == [("recorded",)]


def test_recording_starts_by_pruning(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    now = 1_800_000_000.0
    with UsageRecorder(db, clock=lambda: now - 200 * 86400) as old:
        old.search(old.new_session(), "ancient", 1)
    with UsageRecorder(db, clock=lambda: now - 10 * 86400) as recent:
        recent.search(recent.new_session(), "recent", 1)
    with UsageRecorder(db, clock=lambda: now, retention_days=180) as rec:
        rec.flush()
    assert [e.terms for e in _events(db) if e.kind == "search"] == [("recent",)]


def test_caller_never_waits_for_a_locked_disk(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    rec = UsageRecorder(db, busy_timeout=5.0)
    rec.flush()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the file
    try:
        sid = rec.new_session()
        started = time.perf_counter()
        for i in range(2000):
            rec.suggestion_shown(sid, f"item-{i}", "macro", i % 5 + 1, 1.0)
        elapsed = time.perf_counter() - started
        assert elapsed < 0.5, f"recording 2000 events took {elapsed:.3f}s on the caller's thread"
        time.sleep(0.3)
        assert rec.committed == 0 and rec.pending == 2001
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    rec.flush(timeout=10)
    assert rec.committed == 2001 and rec.dropped == 0
    rec.close()
    assert len(_events(db)) == 2001


def test_storage_failure_never_reaches_the_caller(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    rec = UsageRecorder(blocker / "u.sqlite3", busy_timeout=0.05)
    sid = rec.new_session()
    rec.search(sid, "payout late 4242 4242 4242 4242", 0)
    rec.flush(timeout=10)
    rec.close()
    assert rec.committed == 0 and rec.dropped == 2
    # One batch of 2, or 2 of 1 when the writer took the first event before the second was queued (a busy machine).
    assert "cannot be opened" in caplog.text and caplog.text.count("gave up writing") in (1, 2)
    assert "payout" not in caplog.text


def test_damaged_file_is_replaced_when_recording_starts(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    db.write_bytes(b"\x00garbage" * 500)
    with UsageRecorder(db) as rec:
        rec.search(rec.new_session(), "still recorded", 2)
        rec.flush()
        assert rec.committed == 2
    assert [p.name.startswith("u.sqlite3.corrupt-") for p in tmp_path.iterdir()].count(True) == 1
    assert [e.terms for e in _events(db) if e.kind == "search"] == [("still recorded",)]


def test_many_threads_record_at_once(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    rec = UsageRecorder(db)

    def work(n: int) -> None:
        sid = rec.new_session()
        for i in range(500):
            rec.macro_previewed(sid, f"m{n}-{i}", "recent")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rec.close()
    assert rec.committed == 4 * 501
    assert len(_events(db)) == 4 * 501


def test_bad_vocabulary_is_a_bug(tmp_path: Path) -> None:
    with UsageRecorder(tmp_path / "u.sqlite3") as rec:
        with pytest.raises(ValueError, match="source"):
            rec.article_opened("s", "a", "history")
        with pytest.raises(ValueError, match="kind"):
            rec.suggestion_shown("s", "a", "video", 1, 1.0)
        with pytest.raises(ValueError, match="source"):
            rec.macro_copied("s", "m", 0.0, 0, "keyboard")


def test_after_close_events_are_ignored(tmp_path: Path) -> None:
    db = tmp_path / "u.sqlite3"
    rec = UsageRecorder(db)
    rec.search(rec.new_session(), "kept", 1)
    rec.close()
    rec.close()
    rec.search("s", "after close", 1)
    rec.enabled = True
    rec.flush()
    assert [e.terms for e in _events(db) if e.kind == "search"] == [("kept",)]


def test_default_path_is_the_user_data_folder(kbassist_home: Path) -> None:
    with UsageRecorder(paths.usage_db()) as rec:
        rec.new_session()
    assert paths.usage_db().is_file() and paths.usage_db().is_relative_to(kbassist_home)


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("Hi there, refund sent.", "Hi there, refund sent.", 0.0),
        ("Hi there,\nrefund sent.", "Hi   there, refund\n\nsent.", 0.0),  # reflowed, not edited
        ("Hi there, refund sent.", "Totally different words here", 1.0),
        ("", "", 0.0),
        ("", "something", 1.0),
    ],
)
def test_edit_ratio_bounds(before: str, after: str, expected: float) -> None:
    assert edit_ratio(before, after) == expected


def test_edit_ratio_grows_with_the_edit() -> None:
    base = "Hi Ana, we refunded $20.00 (re_123). Please allow 5-10 business days. Best regards, Sam"
    small = base.replace("Ana", "Anna")
    bigger = base.replace("Please allow 5-10 business days.", "It should show up on your statement next week.")
    assert 0.0 < edit_ratio(base, small) < edit_ratio(base, bigger) < 0.5
    assert edit_ratio(base, small) == pytest.approx(1 - 2 * 24 / 50, abs=1e-4)


def test_a_writer_that_dies_of_a_bug_says_so_and_counts_what_it_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: the writer thread died (as it did when two processes created the file at once), every event
    vanished and ``dropped`` stayed 0. The bug is injected where one really happened: opening the store."""

    def broken_prune(self: UsageStore, days: int, now: float | None = None) -> int:
        raise sqlite3.OperationalError("table events already exists")

    monkeypatch.setattr(UsageStore, "prune", broken_prune)
    said: list[str | None] = []
    recorder = UsageRecorder(tmp_path / "u.sqlite3", enabled=False)
    recorder.on_problem = said.append
    recorder.enabled = True
    for _ in range(5):
        recorder.feedback(recorder.new_session(), "refunds-refund-timing", True)
    recorder.flush(timeout=10)
    recorder.feedback("s", "refunds-refund-timing", False)  # after the writer died
    assert recorder.dropped == 11
    assert recorder.committed == 0 and recorder.pending == 0
    assert recorder.problem is not None and "stopped" in recorder.problem and "not saved" in recorder.problem
    assert said == [recorder.problem]
    assert any("usage writer stopped" in r.getMessage() for r in caplog.records)
    recorder.close()


def test_a_failing_disk_is_reported_until_events_are_saved_again(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.write_text("a file where the data folder should be")  # the database cannot be created
    said: list[str | None] = []
    recorder = UsageRecorder(folder / "u.sqlite3", enabled=False)
    recorder.on_problem = said.append
    recorder.enabled = True
    recorder.feedback(recorder.new_session(), "refunds-refund-timing", True)
    recorder.flush(timeout=15)
    assert recorder.dropped == 2
    assert recorder.problem is not None and "not being saved" in recorder.problem
    folder.unlink()  # the disk comes back
    recorder.feedback("s", "refunds-refund-timing", True)
    recorder.flush(timeout=15)
    assert recorder.committed == 1
    assert recorder.problem is None
    assert said[-1] is None and len(said) == 2
    recorder.close()
