"""The Stats view as an editor meets it: tables open worst first, the cells name what was left unfilled and who
opened what, votes on macros count, and a stale article is marked reviewed in its file; the article pane says
who owns an article and whether its review is overdue."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import article, macro

pytest.importorskip("PySide6.QtWidgets")

from PySide6.QtCore import Qt

from kbassist.content.loader import load_kb
from kbassist.content.model import KbItem
from kbassist.ui.article_view import ArticlePane
from kbassist.ui.stats_view import StatsView
from kbassist.usage import UsageRecorder

TODAY = dt.date.today()
OLD = "2020-01-15"


def _kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    article(kb, "payouts", "delays", "Payout delays", "Why payouts are late.", reviewed=OLD)
    article(kb, "payouts", "fees", "Payout fees", "What payouts cost.", reviewed="2019-06-01")
    article(kb, "payouts", "fresh", "Payout schedule", "When payouts land.", reviewed=TODAY.isoformat())
    macro(kb, "payouts", "delay", "Payout delayed", "Hi {{customer_name}}, card {{last4}}.", "[payouts-delays]")
    macro(kb, "payouts", "fees", "Payout fees explained", "Hi {{customer_name}}, the fee is {{fee}}.", "[payouts-fees]")
    return kb


def _items(kb: Path) -> list[KbItem]:
    return list(load_kb(kb).items.values())


def _record(db: Path) -> None:
    with UsageRecorder(db, retention_days=100_000) as rec:
        for n in range(10):  # "delay" is suggested first in ten cases and never copied: the worst macro
            case = rec.new_session()
            rec.suggestion_shown(case, "macro-payouts-delay", "macro", 1, 5.0, "payouts")
            rec.suggestion_shown(case, "macro-payouts-fees", "macro", 2, 4.0, "payouts")
            rec.suggestion_shown(case, "payouts-delays", "article", 1, 5.0, "payouts")
            rec.article_opened(case, "payouts-delays", "auto", "payouts")
            if n < 4:
                rec.macro_copied(case, "macro-payouts-fees", 0.0, ["fee"], "suggestion", "payouts")
        rec.article_opened(case, "payouts-delays", "search", "payouts")
        rec.feedback(case, "macro-payouts-delay", False, "macro", "payouts")
        rec.flush(timeout=30)


def _column(table, header: str) -> list[str]:
    model = table.model()
    col = next(c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == header)
    return [model.index(r, col).data() for r in range(model.rowCount())]


def _open(qtbot, tmp_path: Path, kb: Path) -> StatsView:
    view = StatsView(tmp_path / "usage.sqlite3", lambda: _items(kb), 365)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.stats is not None, timeout=20_000)
    return view


def test_tables_open_worst_first_and_say_what_was_left(qtbot, tmp_path: Path) -> None:
    kb = _kb(tmp_path)
    _record(tmp_path / "usage.sqlite3")
    view = _open(qtbot, tmp_path, kb)
    macros = view.tables["macros"]
    # Worst first: the macro never copied in ten cases, above the one copied four times (not by copies).
    assert _column(macros, "Macro") == ["Payout delayed", "Payout fees explained"]
    assert _column(macros, "Unfilled") == ["–", "100% — fee ×4"]
    assert _column(macros, "Not helpful") == ["1", "0"]
    articles = view.tables["articles"]
    assert (_column(articles, "Opened"), _column(articles, "Auto-shown")) == (["1"], ["10"])
    assert _column(articles, "Owner") == ["payouts-content"]
    stale = view.tables["stale"]
    assert _column(stale, "Article") == ["Payout fees", "Payout delays"]  # the oldest review first
    macros.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # an editor can still sort by any column
    assert _column(macros, "Macro") == ["Payout fees explained", "Payout delayed"]
    view.refresh()  # a new load opens worst first again
    qtbot.waitUntil(lambda: _column(macros, "Macro")[0] == "Payout delayed", timeout=20_000)


def test_mark_reviewed_from_the_stale_table(qtbot, tmp_path: Path) -> None:
    kb = _kb(tmp_path)
    view = _open(qtbot, tmp_path, kb)  # no usage recorded yet: the stale articles are listed all the same
    stale = view.tables["stale"]
    assert _column(stale, "Article") == ["Payout fees", "Payout delays"]
    assert not view.mark_reviewed.isEnabled()

    fees = kb / "articles" / "payouts" / "fees.md"
    before = fees.read_bytes()
    fees.chmod(0o444)
    stale.selectRow(0)
    assert view.mark_reviewed.isEnabled()
    qtbot.mouseClick(view.mark_reviewed, Qt.MouseButton.LeftButton)
    assert "Not marked reviewed: fees.md is read-only" in view.review_note.text()
    assert fees.read_bytes() == before and _column(stale, "Article") == ["Payout fees", "Payout delays"]

    fees.chmod(0o644)
    stale.selectRow(0)
    qtbot.mouseClick(view.mark_reviewed, Qt.MouseButton.LeftButton)
    assert fees.read_bytes() == before.replace(b"reviewed: 2019-06-01", f"reviewed: {TODAY}".encode())
    assert _column(stale, "Article") == ["Payout delays"]
    assert view.review_note.text() == f"Payout fees: marked reviewed {TODAY}"
    view.refresh()  # read again from the KB's files: the article is no longer stale
    qtbot.waitUntil(lambda: _column(stale, "Article") == ["Payout delays"], timeout=20_000)


def test_the_article_pane_says_owner_and_review_state(qtbot, tmp_path: Path) -> None:
    items = {item.id: item for item in _items(_kb(tmp_path))}
    pane = ArticlePane(lambda _path: None, items.get)
    qtbot.addWidget(pane)
    pane.show_item(items["payouts-fresh"])
    assert pane.meta.text().endswith(f"· Owner: payouts-content · Reviewed {TODAY}")
    assert "overdue" not in pane.meta.text()
    pane.show_item(items["payouts-delays"])
    assert "Owner: payouts-content" in pane.meta.text() and "Review overdue" in pane.meta.text()
    assert f"(reviewed {OLD})" in pane.meta.text() and "365 days" in pane.meta.toolTip()
    pane.stale_after = lambda: 100_000  # Settings' threshold decides
    pane.show_item(items["payouts-fees"])
    assert "overdue" not in pane.meta.text() and "Reviewed 2019-06-01" in pane.meta.text()
